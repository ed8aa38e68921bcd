"""The audit chain's verification: a row tampered with out of band is reported at exactly
that row, raises one ops alert, and the command and the nightly task say so."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import translation

from compliance.models import AuditChainCheck, OpsAlert
from compliance.services import alert_resolve, audit_chain_check
from core.audit import AuditEvent, audit_record
from core.errors import DomainError
from tests.worker import worker_running


def _record(n: int) -> AuditEvent:
    return audit_record(action="test.action", subject_type="thing", subject_id=n, after={"n": n})


def _tamper(event_id: int) -> None:
    """Change one event as someone with database access would, past the append-only
    trigger (PostgreSQL: as a replication session, which skips triggers)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            "UPDATE compliance_auditevent SET subject_id = 'forged' WHERE id = %s", [event_id]
        )


@pytest.mark.django_db
def test_an_intact_chain_is_recorded_and_raises_nothing():
    for n in range(5):
        _record(n)
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert "5 events verified" in out.getvalue()
    check = AuditChainCheck.objects.get()
    assert check.is_intact and check.events_checked == 5 and check.first_broken_event_id is None
    assert not OpsAlert.objects.exists()


@pytest.mark.django_db
def test_a_tampered_row_is_reported_at_exactly_that_row_with_one_alert():
    events = [_record(n) for n in range(6)]
    _tamper(events[3].pk)
    with pytest.raises(CommandError, match=f"broken at event {events[3].pk}"):
        call_command("audit_verify", stdout=StringIO())
    check = audit_chain_check()  # the nightly run finds it again: still one open alert
    assert not check.is_intact and check.first_broken_event_id == events[3].pk
    alert = OpsAlert.objects.get()
    assert alert.kind == OpsAlert.Kind.AUDIT_CHAIN_BROKEN
    assert alert.title_text() == f"The audit trail's hash chain is broken at event {events[3].pk}"
    assert alert.resolved_at is None


@pytest.mark.django_db
def test_each_reader_sees_the_alert_in_their_own_language(make_user, client):
    _tamper(_record(1).pk)
    alert = audit_chain_check() and OpsAlert.objects.get()
    officer = make_user("compliance")
    officer.language = "zh-hans"
    officer.save(update_fields=["language"])
    client.force_login(officer)
    listed = client.get(reverse("admin:compliance_opsalert_changelist")).content.decode()
    assert f"审计记录的哈希链在事件 {alert.params['event']} 处断裂" in listed
    shown = client.get(reverse("admin:compliance_opsalert_change", args=[alert.pk]))
    assert "请与最近的备份和数据库日志进行比对" in shown.content.decode()
    with translation.override("en"):
        assert alert.detail_text().startswith(f"Event {alert.params['event']} does not follow")


@pytest.mark.django_db
def test_compliance_resolves_an_alert_from_the_admin_and_others_may_not(make_user, client):
    _tamper(_record(1).pk)
    alert = audit_chain_check() and OpsAlert.objects.get()
    with pytest.raises(DomainError):
        alert_resolve(alert_id=alert.pk, actor=make_user("reviewer"), note="looked")
    officer = make_user("compliance")
    client.force_login(officer)
    url = reverse("admin:compliance_opsalert_change", args=[alert.pk])
    assert client.get(reverse("admin:compliance_opsalert_changelist")).status_code == 200
    assert client.post(url, {"resolution_note": "  "}).status_code == 200  # a note is required
    alert.refresh_from_db()
    assert alert.resolved_at is None
    response = client.post(url, {"resolution_note": "Restored event from backup 2026-12-05."})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.resolved_by == officer and alert.resolution_note.startswith("Restored")
    assert AuditEvent.objects.filter(action="compliance.alert_resolved").exists()


@pytest.mark.django_db(transaction=True)
def test_the_nightly_task_runs_on_a_real_worker_and_raises_the_alert():
    from compliance.tasks import audit_chain_verify_task

    events = [_record(n) for n in range(3)]
    _tamper(events[1].pk)
    with worker_running("compliance.audit_chain_verify") as ran:
        audit_chain_verify_task.delay()
        assert ran["compliance.audit_chain_verify"].wait(60), "the worker did not run it"
    assert AuditChainCheck.objects.get().first_broken_event_id == events[1].pk
    assert OpsAlert.objects.filter(kind=OpsAlert.Kind.AUDIT_CHAIN_BROKEN).count() == 1


@pytest.mark.django_db
def test_compliance_reads_the_audit_trail_in_the_admin(make_user, client):
    _record(1)
    client.force_login(make_user("compliance"))
    assert client.get(reverse("admin:core_auditevent_changelist")).status_code == 200
    client.force_login(make_user("reviewer"))
    assert client.get(reverse("admin:core_auditevent_changelist")).status_code == 403
