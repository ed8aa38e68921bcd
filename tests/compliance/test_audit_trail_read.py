"""Reading the audit trail in the portal: filters (dates, action, actor, subject), keyset
pages, the CSV export of exactly the filtered set (streamed, audited, formula-safe), the
chain's last verification, and the same trail over the API."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from compliance.models import AuditChainCheck
from compliance.selectors_portal import AUDIT_PAGE_SIZE
from compliance.services import audit_chain_check
from core.audit import AuditEvent, audit_record

pytestmark = pytest.mark.django_db


def _record(action: str, subject_type="loan", subject_id=1, actor=None, after=None):
    return audit_record(
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        actor=actor,
        after=after or {},
    )


def _backdate(event: AuditEvent, days: int) -> None:
    """Move one event into the past as a test fixture (the trail refuses updates, so past
    the trigger, as the chain-check tests do). The chain then no longer verifies."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            "UPDATE compliance_auditevent SET occurred_at = occurred_at - %s WHERE id = %s",
            [timedelta(days=days), event.pk],
        )
        cursor.execute("SET LOCAL session_replication_role = origin")


def _csv(response) -> list[dict]:
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))


@pytest.fixture
def regulator(client, make_user):
    user = make_user("regulator")
    client.force_login(user)
    return user


@pytest.mark.postgres
def test_the_list_filters_by_action_actor_subject_and_dates(client, regulator, make_user):
    officer = make_user("compliance")
    old = _record("lending.loan_listed", subject_id=7, actor=officer)
    _backdate(old, 10)
    _record("lending.loan_listed", subject_id=8, actor=officer)
    _record("custody.deposit_confirmed", subject_type="deposit", subject_id=8)
    url = reverse("compliance:audit-list")

    html = client.get(url, {"action": "lending.loan_listed"}).content.decode()
    assert html.count("lending.loan_listed<br>") == 2
    assert "custody.deposit_confirmed<br>" not in html

    today = timezone.localdate()
    html = client.get(url, {"date_from": today.isoformat()}).content.decode()
    assert "loan 8" in html and "loan 7" not in html
    html = client.get(url, {"date_to": (today - timedelta(days=5)).isoformat()}).content.decode()
    assert "loan 7" in html and "loan 8" not in html

    html = client.get(url, {"actor": officer.email.upper()}).content.decode()
    assert html.count(f"{officer.email}<br>") == 2 and "deposit 8" not in html
    html = client.get(url, {"actor": str(officer.pk)}).content.decode()
    assert html.count(f"{officer.email}<br>") == 2

    html = client.get(url, {"subject_type": "deposit", "subject_id": "8"}).content.decode()
    assert "deposit 8" in html and "loan 8" not in html


def test_bad_filters_are_a_400_with_the_reason_and_list_nothing(client, regulator):
    _record("lending.loan_listed")
    url = reverse("compliance:audit-list")
    response = client.get(url, {"date_from": "2026-12-10", "date_to": "2026-12-01"})
    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()
    assert client.get(url, {"date_from": "yesterday"}).status_code == 400
    assert client.get(url, {"action": "not.an.action"}).status_code == 400
    export = client.get(reverse("compliance:audit-export"), {"date_from": "soon"})
    assert export.status_code == 400
    assert not AuditEvent.objects.filter(action="compliance.audit_trail_exported").exists()


def test_pages_go_back_by_event_id_without_gaps_or_repeats(client, regulator):
    events = [_record("test.paged", subject_id=n) for n in range(AUDIT_PAGE_SIZE + 7)]
    url = reverse("compliance:audit-list")
    first = client.get(url, {"action": "test.paged"})
    assert first.context["older"] == events[7].pk
    shown = [e.pk for e in first.context["events"]]
    second = client.get(url, {"action": "test.paged", "before": first.context["older"]})
    shown += [e.pk for e in second.context["events"]]
    assert second.context["older"] is None
    assert shown == sorted((e.pk for e in events), reverse=True)
    assert f"before={events[7].pk}" in first.content.decode()


def test_the_csv_export_holds_exactly_the_filtered_events(client, regulator, make_user):
    officer = make_user("compliance")
    wanted = [
        _record("lending.loan_listed", subject_id=n, actor=officer, after={"n": n})
        for n in range(3)
    ]
    _record("custody.deposit_confirmed", subject_type="deposit", subject_id=9)
    response = client.get(reverse("compliance:audit-export"), {"action": "lending.loan_listed"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-trail-')
    rows = _csv(response)
    assert [int(r["id"]) for r in rows] == [e.pk for e in wanted]  # oldest first, chain order
    assert {r["action"] for r in rows} == {"lending.loan_listed"}
    assert rows[1]["actor_label"] == officer.email and rows[1]["actor_id"] == str(officer.pk)
    assert rows[2]["after"] == '{"n": 2}' and rows[2]["hash"] == wanted[2].hash


def test_the_export_is_itself_audited_with_its_filters_and_row_count(client, regulator):
    for n in range(4):
        _record("lending.loan_listed", subject_id=n)
    response = client.get(
        reverse("compliance:audit-export"),
        {"action": "lending.loan_listed", "date_from": "2026-01-01"},
        REMOTE_ADDR="10.1.2.3",
    )
    rows = _csv(response)
    event = AuditEvent.objects.get(action="compliance.audit_trail_exported")
    assert event.actor == regulator and event.ip_address == "10.1.2.3"
    assert event.after == {
        "filters": {"action": "lending.loan_listed", "date_from": "2026-01-01"},
        "rows": 4,
    }
    assert len(rows) == 4  # the export's own event is not part of it


def test_an_unfiltered_export_has_the_whole_trail_up_to_its_start(client, regulator):
    before = [_record("test.any", subject_id=n) for n in range(3)]
    rows = _csv(client.get(reverse("compliance:audit-export")))
    assert [int(r["id"]) for r in rows] == [e.pk for e in before]


@pytest.mark.postgres
def test_the_export_streams_from_a_cursor_in_chunks(client, regulator):
    """Constant memory: the rows come from a server-side cursor as the response is read,
    not from a list built first (PostgreSQL: DECLARE ... CURSOR, FETCH in chunks)."""
    for n in range(5):
        _record("test.streamed", subject_id=n)
    response = client.get(reverse("compliance:audit-export"))
    with CaptureQueriesContext(connection) as queries:
        rows = _csv(response)
    assert len(rows) == 5
    sql = " ".join(q["sql"] for q in queries.captured_queries).upper()
    assert "DECLARE" in sql and "CURSOR" in sql


def test_cells_a_spreadsheet_would_run_are_quoted_as_text(client, regulator, make_user):
    _record("test.formula", subject_type="loan", subject_id="=HYPERLINK(1)")
    rows = _csv(client.get(reverse("compliance:audit-export"), {"action": "test.formula"}))
    assert rows[0]["subject_id"] == "'=HYPERLINK(1)"


def test_the_page_shows_whether_last_nights_chain_check_passed(client, regulator):
    url = reverse("compliance:audit-list")
    assert "Not verified yet" in client.get(url).content.decode()
    _record("test.chain")
    audit_chain_check()
    html = client.get(url).content.decode()
    assert "Chain verified" in html
    AuditChainCheck.objects.create(events_checked=9, is_intact=False, first_broken_event_id=5)
    html = client.get(url).content.decode()
    assert "Chain broken" in html and "found event 5 altered" in html
    assert "Chain broken" in client.get(reverse("compliance:portal")).content.decode()


def test_compliance_reads_and_exports_the_trail_too(client, make_user):
    officer = make_user("compliance")
    client.force_login(officer)
    _record("test.read")
    assert client.get(reverse("compliance:audit-list")).status_code == 200
    _csv(client.get(reverse("compliance:audit-export")))
    assert AuditEvent.objects.get(action="compliance.audit_trail_exported").actor == officer


@pytest.mark.parametrize("role", ["investor", "borrower", "reviewer", "collections"])
def test_others_get_neither_the_trail_nor_its_export(client, make_user, role):
    client.force_login(make_user(role))
    assert client.get(reverse("compliance:audit-export")).status_code == 403
    assert not AuditEvent.objects.filter(action="compliance.audit_trail_exported").exists()


def test_the_api_lists_the_filtered_trail_in_pages(api_client, make_user):
    api_client.force_authenticate(make_user("regulator"))
    for n in range(3):
        _record("lending.loan_listed", subject_id=n)
    _record("custody.deposit_confirmed", subject_type="deposit", subject_id=1)
    response = api_client.get(
        "/api/v1/regulator/audit-events", {"action": "lending.loan_listed", "page_size": 2}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    assert [r["subject_id"] for r in body["results"]] == ["2", "1"]
    assert {"hash", "prev_hash", "actor_label", "after"} <= set(body["results"][0])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"action": ""}, "action"),
        ({"action": "DROP TABLE"}, "action"),
        ({"date_from": "2026-13-01"}, "date_from"),
        ({"date_from": "2026-12-02", "date_to": "2026-12-01"}, "date_to"),
    ],
)
def test_the_api_refuses_bad_filters_with_a_code(api_client, make_user, params, field):
    api_client.force_authenticate(make_user("regulator"))
    response = api_client.get("/api/v1/regulator/audit-events", params)
    assert response.status_code == 400
    assert field in response.json()["fields"] and response.json()["code"]


def test_the_api_list_runs_a_fixed_number_of_queries(
    api_client, make_user, django_assert_max_num_queries
):
    api_client.force_authenticate(make_user("regulator"))
    for n in range(30):
        _record("test.many", subject_id=n)
    with django_assert_max_num_queries(8):
        assert api_client.get("/api/v1/regulator/audit-events").status_code == 200
