"""Notifications: the page, the navigation's unread badge and the API; a user sees and marks
only their own."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lending.models import Notification
from lending.services.notifications import notification_send

pytestmark = pytest.mark.django_db

LIST_API = reverse("api:me-notification-list")
READ_ALL_API = reverse("api:me-notification-read-all")
PAGE = reverse("lending:notification-list")
READ_ALL_PAGE = reverse("lending:notification-read-all")


def _read_api(pk: int) -> str:
    return reverse("api:me-notification-read", kwargs={"pk": pk})


def _notify(user, count: int, prefix: str = "Note") -> list[Notification]:
    return [
        notification_send(user=user, kind="test", title=f"{prefix} {i}", body=f"Body {i}")
        for i in range(count)
    ]


@pytest.fixture
def alice(make_user):
    return make_user("investor")


@pytest.fixture
def bob(make_user):
    return make_user("borrower")


# --- API ---------------------------------------------------------------------------------


def test_api_lists_own_notifications_newest_first_with_the_unread_count(api_client, alice, bob):
    mine = _notify(alice, 3)
    _notify(bob, 2, prefix="Bob's")
    mine[0].read_at = mine[0].created_at
    mine[0].save(update_fields=["read_at"])
    api_client.force_login(alice)
    body = api_client.get(LIST_API).json()
    assert [n["id"] for n in body["results"]] == [n.pk for n in reversed(mine)]
    assert body["count"] == 3 and body["unread_count"] == 2
    assert [n["is_read"] for n in body["results"]] == [False, False, True]
    assert not any("Bob" in n["title"] for n in body["results"])


def test_api_paginates(api_client, alice):
    notes = _notify(alice, 5)
    api_client.force_login(alice)
    first = api_client.get(LIST_API, {"page_size": 2}).json()
    assert [n["id"] for n in first["results"]] == [notes[4].pk, notes[3].pk]
    assert first["next"] and first["previous"] is None
    last = api_client.get(LIST_API, {"page_size": 2, "page": 3}).json()
    assert [n["id"] for n in last["results"]] == [notes[0].pk] and last["next"] is None
    assert api_client.get(LIST_API, {"page": 9}).status_code == 404


def test_api_list_query_count_does_not_grow_with_the_page(api_client, alice):
    api_client.force_login(alice)
    _notify(alice, 2)
    with CaptureQueriesContext(connection) as few:
        assert api_client.get(LIST_API).status_code == 200
    _notify(alice, 30)
    with CaptureQueriesContext(connection) as many:
        assert len(api_client.get(LIST_API, {"page_size": 30}).json()["results"]) == 30
    assert len(many) == len(few) <= 8


def test_api_marks_one_own_notification_read_once(api_client, alice):
    note = _notify(alice, 1)[0]
    api_client.force_login(alice)
    first = api_client.post(_read_api(note.pk))
    assert first.status_code == 200 and first.json()["is_read"] is True
    read_at = Notification.objects.get(pk=note.pk).read_at
    assert read_at is not None
    again = api_client.post(_read_api(note.pk))
    assert again.status_code == 200
    assert Notification.objects.get(pk=note.pk).read_at == read_at


def test_api_another_users_notification_is_404_and_stays_unread(api_client, alice, bob):
    theirs = _notify(bob, 1)[0]
    api_client.force_login(alice)
    response = api_client.post(_read_api(theirs.pk))
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_api_read_all_marks_only_own(api_client, alice, bob):
    _notify(alice, 3)
    _notify(bob, 2)
    api_client.force_login(alice)
    assert api_client.post(READ_ALL_API).json() == {"marked": 3}
    assert api_client.post(READ_ALL_API).json() == {"marked": 0}
    assert not Notification.objects.filter(user=alice, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=bob, read_at__isnull=True).count() == 2


def test_api_needs_a_signed_in_user(api_client, alice):
    note = _notify(alice, 1)[0]
    assert api_client.get(LIST_API).status_code == 401
    assert api_client.post(_read_api(note.pk)).status_code == 401
    assert api_client.post(READ_ALL_API).status_code == 401
    assert Notification.objects.get(pk=note.pk).read_at is None


# --- page and badge -----------------------------------------------------------------------


def test_page_needs_sign_in(client, alice):
    _notify(alice, 1)
    assert client.get(PAGE)["Location"].startswith(reverse("account_login"))
    response = client.post(READ_ALL_PAGE)
    assert response.status_code == 302 and "login" in response["Location"]
    assert Notification.objects.filter(read_at__isnull=True).count() == 1


def test_page_lists_own_newest_first_with_unread_highlighted(client, alice, bob):
    notes = _notify(alice, 3)
    _notify(bob, 1, prefix="Bob's")
    Notification.objects.filter(pk=notes[0].pk).update(read_at=notes[0].created_at)
    client.force_login(alice)
    html = client.get(PAGE).content.decode()
    assert html.index("Note 2") < html.index("Note 1") < html.index("Note 0")
    assert html.count('class="notification unread"') == 2
    assert html.count('class="notification"') == 1
    assert "Bob&#x27;s" not in html and "Bob's" not in html
    assert "2 unread" in html and "Mark all read" in html


def test_page_paginates_and_tolerates_bad_page_numbers(client, alice):
    _notify(alice, 25)
    client.force_login(alice)
    first = client.get(PAGE).content.decode()
    assert "Note 24" in first and "Note 5" in first and "Note 4" not in first
    assert "Page 1 of 2" in first
    second = client.get(PAGE, {"page": 2}).content.decode()
    assert "Note 4" in second and "Note 0" in second and "Note 5" not in second
    for bad in ("abc", "0", "99", "-1"):
        assert client.get(PAGE, {"page": bad}).status_code == 200


def test_page_mark_all_read_marks_only_own(client, alice, bob):
    newest = _notify(alice, 2)[-1]
    _notify(bob, 1)
    client.force_login(alice)
    assert client.get(READ_ALL_PAGE).status_code == 405
    response = client.post(READ_ALL_PAGE, {"up_to_id": str(newest.pk)})
    assert response.status_code == 302 and response["Location"] == PAGE
    assert not Notification.objects.filter(user=alice, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=bob, read_at__isnull=True).count() == 1
    html = client.get(PAGE).content.decode()
    assert "All read" in html and "Mark all read" not in html and "unread" not in html


def test_navigation_badge_shows_the_unread_count_with_one_query(client, alice):
    client.force_login(alice)
    with CaptureQueriesContext(connection) as before:
        html = client.get("/dashboard/").content.decode()
    assert "nav-count" not in html and reverse("lending:notification-list") in html
    _notify(alice, 3)
    with CaptureQueriesContext(connection) as after:
        html = client.get("/dashboard/").content.decode()
    assert 'aria-label="Notifications, 3 unread"' in html and ">3</span>" in html
    assert len(after) == len(before)
    counts = [q["sql"] for q in after if "lending_notification" in q["sql"]]
    assert len(counts) == 1 and "COUNT" in counts[0].upper()


def test_notifications_page_counts_unread_once_for_itself_and_the_badge(client, alice):
    _notify(alice, 3)
    client.force_login(alice)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(PAGE).content.decode()
    assert ">3</span>" in html
    unread_counts = [q["sql"] for q in queries if '"read_at" IS NULL' in q["sql"]]
    assert len(unread_counts) == 1


def test_notifications_link_to_their_loan_as_the_reader_sees_it(client, open_loan, investor):
    """The borrower's notice leads to their own loan page (the schedule), an investor's to
    the loan's marketplace page, an application's to the applications; a subject without a
    page, or a loan that no longer exists, leads nowhere."""
    loan, borrower = open_loan, open_loan.borrower
    for user in (borrower, investor):
        notification_send(
            user=user,
            kind="loan_funded",
            title=f"Funded {user.pk}",
            subject_type="loan",
            subject_id=loan.pk,
        )
    notification_send(
        user=borrower,
        kind="application_approved",
        title="Approved",
        subject_type="application",
        subject_id=loan.application_id,
    )
    notification_send(user=borrower, kind="x", title="Gone", subject_type="loan", subject_id=999999)
    notification_send(
        user=borrower, kind="x", title="Rule", subject_type="auto_invest_rule", subject_id=1
    )

    client.force_login(borrower)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(PAGE).content.decode()
    own = reverse("lending:borrowing-detail", args=[loan.pk])
    assert f'<a href="{own}"><strong>Funded {borrower.pk}</strong></a>' in html
    assert f'<a href="{reverse("lending:application-list")}"><strong>Approved</strong></a>' in html
    assert "<strong>Gone</strong>" in html and '"><strong>Gone' not in html
    assert "<strong>Rule</strong>" in html and '"><strong>Rule' not in html
    assert len([q for q in queries if 'FROM "lending_loan"' in q["sql"]]) == 1
    assert client.get(own).status_code == 200

    client.force_login(investor)
    html = client.get(PAGE).content.decode()
    public = reverse("lending:loan-detail", args=[loan.pk])
    assert f'<a href="{public}"><strong>Funded {investor.pk}</strong></a>' in html
    assert client.get(public).status_code == 200


def test_staff_without_totp_are_sent_to_enrolment_first(client, make_user):
    client.force_login(make_user("operations", mfa=False))
    assert client.get(PAGE)["Location"] == "/accounts/2fa/totp/activate/"


# --- in the browser -----------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_notifications_page_in_chromium(page_login, live_server, make_user):
    user = make_user("investor")
    read = notification_send(user=user, kind="welcome", title="Welcome to P2P Lending")
    Notification.objects.filter(pk=read.pk).update(read_at=read.created_at)
    notification_send(
        user=user,
        kind="loan_funded",
        title="Loan LN2026000123 is fully funded",
        body="Your 300.00 is reserved until the loan is disbursed.",
    )
    notification_send(
        user=user,
        kind="application_approved",
        title="Your application was approved",
        subject_type="application",
        subject_id=1,
    )
    page = page_login(user)
    page.goto(f"{live_server.url}/notifications/")
    assert page.get_attribute("li.notification a", "href") == "/borrow/applications/"
    assert page.inner_text(".nav-count") == "2"
    assert page.locator("li.notification.unread").count() == 2
    assert page.locator("li.notification").count() == 3
    page.screenshot(path="/tmp/opsnotify-notifications.png", full_page=True)
    page.click("button:has-text('Mark all read')")
    page.wait_for_selector("text=All read")
    assert page.locator(".nav-count").count() == 0
    assert page.locator("li.notification.unread").count() == 0
    page.screenshot(path="/tmp/opsnotify-notifications-read.png", full_page=True)
