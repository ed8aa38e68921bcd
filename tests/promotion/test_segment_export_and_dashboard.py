"""A segment's campaign export holds only consenting members (consent read at export time),
minimal columns, and is audited; the growth dashboard draws from the same book; the nightly
task runs on a real worker."""

import csv
import io

import pytest

from core.audit import AuditEvent
from promotion.models import ConsentSource, Segment, SegmentSnapshot
from promotion.services.consent import consent_set
from promotion.services.segments import segments_compute
from tests.promotion.conftest import AS_OF
from tests.worker import worker_running


def login(client, user) -> None:
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")


def _export(client, segment) -> tuple[int, list[list[str]]]:
    snapshot = SegmentSnapshot.objects.get(segment=segment, computed_on=AS_OF)
    response = client.get(f"/admin/promotion/segmentsnapshot/{snapshot.pk}/export/")
    if response.status_code != 200:
        return response.status_code, []
    body = b"".join(response.streaming_content).decode()
    return 200, list(csv.reader(io.StringIO(body)))


@pytest.mark.django_db
def test_the_export_holds_only_members_who_consent_now(client, make_user, population):
    for name in ("A", "F"):
        consent_set(user=population[name], granted=True, source=ConsentSource.SETTINGS)
    segments_compute(as_of=AS_OF)
    login(client, make_user("operations"))

    status, rows = _export(client, Segment.IDLE_CASH)
    assert status == 200
    assert rows == [
        ["email", "segment", "computed_on"],
        ["a@example.test", "idle_cash", "2026-06-30"],
        ["f@example.test", "idle_cash", "2026-06-30"],
    ]
    # F withdraws: gone from the next export of the same snapshot.
    consent_set(user=population["F"], granted=False, source=ConsentSource.SETTINGS)
    status, rows = _export(client, Segment.IDLE_CASH)
    assert [row[0] for row in rows[1:]] == ["a@example.test"]

    exports = AuditEvent.objects.filter(action="promotion.segment_exported").order_by("id")
    assert [event.after["rows"] for event in exports] == [2, 1]
    assert all(event.after["members"] == 2 for event in exports)


@pytest.mark.django_db
def test_only_operations_export_and_nobody_else_is_audited(client, make_user, population):
    segments_compute(as_of=AS_OF)
    for role in ("compliance", "reviewer"):
        login(client, make_user(role))
        status, _rows = _export(client, Segment.IDLE_CASH)
        assert status in (302, 403)
    assert not AuditEvent.objects.filter(action="promotion.segment_exported").exists()


@pytest.mark.django_db
def test_the_dashboard_shows_the_funnel_cohorts_speed_and_campaigns(client, make_user, population):
    login(client, make_user("operations"))
    response = client.get("/admin/promotion/segmentsnapshot/dashboard/")
    assert response.status_code == 200
    steps = {str(step.label): step.count for step in response.context["funnel"]}
    # Customers: A-G and the borrowers (the listing's, K, L, M); F is the one verified.
    assert steps["Signed up"] == 11
    assert steps["Verified"] == 1
    assert steps["First investment"] == 5
    # Four charts, each an SVG image inline in the page (nothing loaded from elsewhere).
    assert response.content.decode().count('src="data:image/svg+xml') == 4
    assert [speed.grade for speed in response.context["speeds"]] == []


@pytest.mark.django_db(transaction=True)
def test_the_nightly_task_computes_the_segments_on_a_real_worker(population):
    from promotion.tasks import segments_compute_task

    with worker_running("promotion.segments_compute") as ran:
        segments_compute_task.delay(AS_OF.isoformat())
        assert ran["promotion.segments_compute"].wait(60), "the worker did not run it"
    assert SegmentSnapshot.objects.filter(computed_on=AS_OF).count() == len(Segment.values)
    assert SegmentSnapshot.objects.get(segment=Segment.RFM_CHAMPIONS, computed_on=AS_OF).size == 2
