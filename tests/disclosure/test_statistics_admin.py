"""Platform statistics in the admin: snapshots are read only, a period is restated with a
note by compliance or operations (a new version, the old one kept), and reviewers mark a
borrower as a related party (audited)."""

import pytest
from django.urls import reverse

from core.models import AuditEvent
from disclosure.models import RelatedParty, StatisticsSnapshot
from disclosure.services.statistics import statistics_snapshot_take
from tests.disclosure.statistics_book import build_book

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def snapshot(make_user):
    build_book(make_user)
    return statistics_snapshot_take(period="2026-06")


def test_snapshot_change_page_is_read_only_with_drill_down_links(client, make_user, snapshot):
    client.force_login(make_user("compliance"))
    url = reverse("admin:disclosure_statisticssnapshot_change", args=[snapshot.pk])
    html = client.get(url).content.decode()
    assert "/disclosure/statistics/2026-06/overdue_90_count/loans?version=1" in html
    assert "reconciliation_clean" in html and "Restate this period" in html
    assert 'name="_save"' not in html
    assert client.post(url, {}).status_code == 403


def test_restate_from_the_admin_needs_a_note_and_keeps_the_old_version(client, make_user, snapshot):
    client.force_login(make_user("operations"))
    url = reverse("admin:disclosure_statisticssnapshot_restate", args=[snapshot.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"note": "  "}).status_code == 400
    assert StatisticsSnapshot.objects.count() == 1
    response = client.post(url, {"note": "Late posting corrected."})
    assert response.status_code == 302
    versions = list(
        StatisticsSnapshot.objects.order_by("version").values_list("version", "restatement_note")
    )
    assert versions == [(1, ""), (2, "Late posting corrected.")]


@pytest.mark.parametrize("role", ["reviewer", "approver", "collections"])
def test_other_staff_cannot_restate(client, make_user, snapshot, role):
    client.force_login(make_user(role))
    url = reverse("admin:disclosure_statisticssnapshot_restate", args=[snapshot.pk])
    assert client.post(url, {"note": "x"}).status_code == 403
    assert StatisticsSnapshot.objects.count() == 1


def test_a_reviewer_marks_and_unmarks_a_related_party(client, make_user):
    reviewer = make_user("reviewer")
    borrower = make_user("borrower")
    client.force_login(reviewer)
    response = client.post(
        reverse("admin:disclosure_relatedparty_add"),
        {"borrower": borrower.pk, "relation": "Shareholder's spouse"},
    )
    assert response.status_code == 302, response.content
    mark = RelatedParty.objects.get(borrower=borrower)
    assert mark.marked_by == reviewer
    event = AuditEvent.objects.get(action="disclosure.related_party_marked")
    assert (event.actor_id, event.subject_id) == (reviewer.pk, str(borrower.pk))
    response = client.post(
        reverse("admin:disclosure_relatedparty_delete", args=[mark.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not RelatedParty.objects.exists()
    assert AuditEvent.objects.filter(action="disclosure.related_party_unmarked").count() == 1
