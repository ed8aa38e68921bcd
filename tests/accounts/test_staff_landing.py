"""Every staff role lands on a page that says what it can do: the dashboard lists each role's
pages (every link opens), and a role whose tools are not built yet (collections' queue, the
regulator portal) says so plainly instead of showing an empty console or a refusal."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

STAFF = ["reviewer", "approver", "operations", "compliance", "collections", "regulator"]


def _links(html: str) -> list[str]:
    section = html.split('aria-label="Your work"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'<a href="([^"]+)"', section)


@pytest.mark.parametrize("role", STAFF)
def test_dashboard_lists_what_the_role_can_do_and_every_link_opens(client, make_user, role):
    client.force_login(make_user(role))
    page = client.get(reverse("accounts:dashboard"))
    assert page.status_code == 200
    html = page.content.decode()
    links = _links(html)
    assert links, f"{role}: no task on the dashboard"
    for url in links:
        response = client.get(url.replace("&amp;", "&"))
        assert response.status_code == 200, f"{role}: {url} answered {response.status_code}"
        body = response.content.decode()
        assert "have permission to view or edit anything" not in body


def test_a_role_without_its_tools_yet_sees_a_clear_note(client, make_user, monkeypatch):
    from accounts import staff_work

    real_url = staff_work._url
    monkeypatch.setattr(
        staff_work,
        "_url",
        lambda task: None if task.url_name.startswith("compliance:") else real_url(task),
    )
    client.force_login(make_user("regulator"))
    html = client.get(reverse("accounts:dashboard")).content.decode()
    assert "Not available yet." in html and "regulator portal" in html


def test_regulators_start_from_their_portal(client, make_user):
    client.force_login(make_user("regulator"))
    html = client.get(reverse("accounts:dashboard")).content.decode()
    assert "Regulator portal" in html and "Not available yet." not in html


def test_collections_start_from_their_queue(client, make_user):
    client.force_login(make_user("collections"))
    html = client.get(reverse("accounts:dashboard")).content.decode()
    assert "Collections queue" in html and "Not available yet." not in html


def test_collections_console_home_is_not_empty(client, make_user):
    client.force_login(make_user("collections"))
    html = client.get(reverse("admin:index")).content.decode()
    assert "Your work" in html and "Collections queue" in html and "Overdue installments" in html
    assert "have permission to view or edit anything" not in html
    overdue = client.get(reverse("admin:lending_installment_changelist") + "?status__exact=overdue")
    assert overdue.status_code == 200


def test_regulator_gets_no_console_link_and_a_helpful_page_if_they_open_it(client, make_user):
    client.force_login(make_user("regulator"))
    dashboard = client.get(reverse("accounts:dashboard")).content.decode()
    assert reverse("admin:index") not in dashboard
    assert f'href="{reverse("lending:loan-list")}"' in dashboard  # the menu's Marketplace
    console = client.get(reverse("admin:index"), follow=True)  # via the admin's sign-in
    assert console.status_code == 403
    html = console.content.decode()
    assert "Your staff role doesn" in html and reverse("accounts:dashboard") in html
    assert "add the role in your account setup" not in html


def test_the_collections_note_shows_while_their_queue_cannot_be_opened(make_user, monkeypatch):
    from accounts import staff_work

    user = make_user("collections")
    [work] = staff_work.staff_work(user)
    assert not work.note and work.tasks[0]["label"] == "Collections queue"
    monkeypatch.setattr(type(user), "has_perm", lambda self, perm, obj=None: False)
    [work] = staff_work.staff_work(user)
    assert "collections queue" in work.note and not work.tasks
