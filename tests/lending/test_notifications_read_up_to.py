""" "Mark all read" marks only what the user was shown: the page sends the newest id it
listed, the API takes an optional `up_to_id`; a notification that arrived since stays
unread. Without `up_to_id` the API marks every unread notification, as before."""

import pytest
from django.urls import reverse

from lending.models import Notification
from lending.services.notifications import notification_send, notifications_mark_read

pytestmark = pytest.mark.django_db

READ_ALL_API = reverse("api:me-notification-read-all")
PAGE = reverse("lending:notification-list")
READ_ALL_PAGE = reverse("lending:notification-read-all")


def _notify(user, title: str) -> Notification:
    return notification_send(user=user, kind="test", title=title)


def _unread_titles(user) -> list[str]:
    return list(
        Notification.objects.filter(user=user, read_at__isnull=True)
        .order_by("id")
        .values_list("title", flat=True)
    )


@pytest.fixture
def alice(make_user):
    return make_user("investor")


def test_service_marks_only_up_to_the_given_id(alice, make_user):
    first, second, third = (_notify(alice, t) for t in ("one", "two", "three"))
    bob = make_user("borrower")
    theirs = _notify(bob, "bob's")
    assert notifications_mark_read(user=alice, up_to_id=second.pk) == 2
    assert _unread_titles(alice) == ["three"]
    # Another user's notifications are never touched, whatever the id.
    assert notifications_mark_read(user=alice, up_to_id=theirs.pk + 100) == 1
    assert _unread_titles(bob) == ["bob's"]
    assert third.pk > first.pk


def test_page_mark_all_read_leaves_one_that_arrived_after_the_page_was_loaded(client, alice):
    _notify(alice, "seen one")
    seen = _notify(alice, "seen two")
    client.force_login(alice)
    html = client.get(PAGE).content.decode()
    assert f'name="up_to_id" value="{seen.pk}"' in html
    _notify(alice, "arrived later")  # while the page was open
    response = client.post(READ_ALL_PAGE, {"up_to_id": str(seen.pk)})
    assert response.status_code == 302 and response["Location"] == PAGE
    assert _unread_titles(alice) == ["arrived later"]
    html = client.get(PAGE).content.decode()
    assert "Marked 2 notifications read." in html and "1 unread" in html


def test_page_on_a_later_page_still_sends_the_newest_id(client, alice):
    notes = [_notify(alice, f"note {i}") for i in range(25)]
    client.force_login(alice)
    html = client.get(PAGE, {"page": 2}).content.decode()
    assert f'name="up_to_id" value="{notes[-1].pk}"' in html


@pytest.mark.parametrize("raw", [None, "", "abc", "-1", "0", "1e3", "\u0661\u0662", "9" * 40])
def test_page_without_a_valid_up_to_id_marks_nothing(client, alice, raw):
    _notify(alice, "one")
    client.force_login(alice)
    response = client.post(READ_ALL_PAGE, {} if raw is None else {"up_to_id": raw})
    assert response.status_code == 302 and response["Location"] == PAGE
    assert _unread_titles(alice) == ["one"]
    assert "nothing was marked" in client.get(PAGE).content.decode()


def test_api_with_up_to_id_leaves_newer_notifications_unread(api_client, alice):
    _notify(alice, "one")
    seen = _notify(alice, "two")
    _notify(alice, "three")
    api_client.force_login(alice)
    response = api_client.post(READ_ALL_API, {"up_to_id": seen.pk}, format="json")
    assert response.status_code == 200 and response.json() == {"marked": 2}
    assert _unread_titles(alice) == ["three"]
    listed = api_client.get(reverse("api:me-notification-list")).json()
    assert listed["unread_count"] == 1


def test_api_without_up_to_id_marks_every_unread_as_before(api_client, alice):
    for title in ("one", "two"):
        _notify(alice, title)
    api_client.force_login(alice)
    assert api_client.post(READ_ALL_API, {}, format="json").json() == {"marked": 2}
    assert _unread_titles(alice) == []


@pytest.mark.parametrize("bad", ["abc", 0, -5, 1.5, True, None, [1], 2**70])
def test_api_refuses_a_malformed_up_to_id_and_marks_nothing(api_client, alice, bad):
    _notify(alice, "one")
    api_client.force_login(alice)
    response = api_client.post(READ_ALL_API, {"up_to_id": bad}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] and "up_to_id" in body.get("fields", {})
    assert _unread_titles(alice) == ["one"]
