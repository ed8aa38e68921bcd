"""Platform statistics on a book with known answers (tests/disclosure/statistics_book.py):
every figure exactly, the loans behind each, the checks that block publication and raise
the ops alert, restatement as a new version, immutability and the daily batch's step."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.utils import InternalError, ProgrammingError

from compliance.models import OpsAlert
from compliance.services.statistics_alerts import KIND as ALERT_KIND
from core.models import AuditEvent
from custody.models import ReconciliationBreak, ReconciliationRun
from disclosure import selectors
from disclosure.models import (
    StatisticsAppendOnlyError,
    StatisticsLoanSet,
    StatisticsSnapshot,
    loan_ids_pack,
    loan_ids_unpack,
)
from disclosure.services.statistics import (
    disclosure_snapshot,
    first_business_day,
    period_parse,
    statistics_restate,
    statistics_snapshot_take,
)
from disclosure.services.statistics_errors import (
    InvalidPeriod,
    RestatementNoteRequired,
    StatisticsRoleRequired,
)
from disclosure.services.statistics_figures import FIGURE_SETS
from disclosure.services.statistics_related import related_party_unmark
from lending.business_date import business_date_set
from lending.models import Investment, Loan
from lending.services.batch import DAILY_STEPS
from tests.disclosure.statistics_book import AS_OF, EXPECTED, EXPECTED_SETS, build_book

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def book(make_user):
    return build_book(make_user)


def _figures(snapshot):
    from disclosure.services.statistics_figures import figures_from_json

    return figures_from_json(snapshot.figures)


def _refs(snapshot, key):
    ids = StatisticsLoanSet.objects.get(snapshot=snapshot, key=key).loan_ids
    return set(Loan.objects.filter(pk__in=ids).values_list("reference", flat=True))


def test_monthly_report_gives_every_figure_exactly(book):
    snapshot = statistics_snapshot_take(period="2026-06")
    assert snapshot.status == StatisticsSnapshot.Status.PUBLISHED, snapshot.checks
    assert (snapshot.kind, snapshot.version, snapshot.as_of) == ("monthly", 1, AS_OF)
    assert snapshot.period_start == date(2026, 6, 1)
    assert snapshot.publish_on == date(2026, 7, 1)  # a Wednesday: the first business day
    figures = _figures(snapshot)
    assert set(figures) == set(FIGURE_SETS) == set(EXPECTED)
    mismatched = {k: (figures[k], v) for k, v in EXPECTED.items() if figures[k] != v}
    assert not mismatched
    # Decimal end to end: stored as exact text, never a float.
    assert snapshot.figures["top10_borrowers_share"] == "0.9341"
    assert snapshot.figures["outstanding_principal_amount"] == "91000.00"
    assert [c["name"] for c in snapshot.checks if c["passed"]] == [
        "outstanding_matches_holdings",
        "overdue_within_outstanding",
        "overdue_90_within_overdue",
        "shares_within_100_percent",
        "reconciliation_clean",
    ]
    assert snapshot.fees == [
        {
            "product": "personal",
            "name": "Personal loan",
            "currency": "CNY",
            "service_fee_rate": "0.020000",
            "platform_fee_rate": "0.100000",
            "late_fee_amount": "50.00",
            "penalty_daily_rate": "0.000500",
            "prepayment_fee_rate": "0.000000",
            "grace_days": 3,
        }
    ]


def test_each_figure_keeps_exactly_the_loans_behind_it(book):
    snapshot = statistics_snapshot_take(period="2026-06")
    for key, names in EXPECTED_SETS.items():
        assert _refs(snapshot, key) == book.refs(*names), key
    assert StatisticsLoanSet.objects.filter(snapshot=snapshot).count() == len(EXPECTED_SETS)


def test_exactly_90_days_is_overdue_but_not_over_90(book):
    snapshot = statistics_snapshot_take(period="2026-06")
    assert book.loans["O90"].reference in _refs(snapshot, "overdue")
    assert book.loans["O90"].reference not in _refs(snapshot, "overdue_90")
    assert book.loans["O91"].reference in _refs(snapshot, "overdue_90")


def test_daily_snapshot_counts_flows_of_that_day_only(book):
    snapshot = statistics_snapshot_take(period="2026-06-15")
    figures = _figures(snapshot)
    assert (snapshot.kind, snapshot.period_start, snapshot.publish_on) == (
        "daily",
        date(2026, 6, 15),
        date(2026, 6, 15),
    )
    # R6..R11 were disbursed on 15 June; the book is taken as it is now.
    assert figures["loans_period_count"] == 6
    assert figures["loans_period_amount"] == D("57000.00")
    assert figures["loans_cumulative_count"] == 18


def test_a_holding_out_of_line_with_the_installments_blocks_publication_and_alerts(book):
    # One investor's record says 100.00 more principal came back than the borrower paid.
    Investment.objects.filter(loan=book.loans["R7"]).update(principal_received_amount=D("100.00"))
    snapshot = statistics_snapshot_take(period="2026-06")
    assert snapshot.status == StatisticsSnapshot.Status.BLOCKED
    assert [c["name"] for c in snapshot.failed_checks] == ["outstanding_matches_holdings"]
    assert "91800.00" in snapshot.failed_checks[0]["detail"]
    assert "91700.00" in snapshot.failed_checks[0]["detail"]
    alert = OpsAlert.objects.get(kind=ALERT_KIND, resolved_at__isnull=True)
    assert alert.subject == "statistics:2026-06:v1"
    assert "outstanding_matches_holdings" in alert.title_text()
    # Not public: no API, page or headline shows it.
    business_date_set(on=date(2026, 7, 1))
    assert selectors.statistics_latest() is None
    assert AuditEvent.objects.filter(action="disclosure.statistics_blocked").count() == 1


def test_an_open_reconciliation_break_blocks_publication(book):
    run = ReconciliationRun.objects.get(statement_on=AS_OF)
    ReconciliationBreak.objects.create(
        run=run, statement_on=AS_OF, kind=ReconciliationBreak.Kind.MISSING, reference="dep-1"
    )
    snapshot = statistics_snapshot_take(period="2026-06")
    assert [c["name"] for c in snapshot.failed_checks] == ["reconciliation_clean"]
    assert OpsAlert.objects.filter(kind=ALERT_KIND).count() == 1


def test_a_day_without_a_reconciliation_run_is_blocked(make_user):
    build_book(make_user, reconciled=False)
    snapshot = statistics_snapshot_take(period="2026-06")
    assert snapshot.status == "blocked"
    assert snapshot.failed_checks[0]["detail"] == "no reconciliation run for 2026-06-30"


def test_restatement_is_a_new_version_and_keeps_the_old_one(book, make_user):
    first = statistics_snapshot_take(period="2026-06")
    compliance = make_user("compliance")
    with pytest.raises(RestatementNoteRequired):
        statistics_restate(period="2026-06", note="  ", actor=compliance)
    with pytest.raises(StatisticsRoleRequired):
        statistics_restate(period="2026-06", note="Fix", actor=make_user("investor"))
    # The correction: B11 was never a related party (the mark is removed, audited).
    related_party_unmark(borrower_id=book.borrowers[11].pk, actor=make_user("reviewer"))
    second = statistics_restate(
        period="2026-06", note="B11 was marked related in error.", actor=compliance
    )
    assert (second.version, second.status, second.publish_on) == (2, "published", first.publish_on)
    assert _figures(second)["related_party_count"] == 0
    first.refresh_from_db()
    assert _figures(first)["related_party_count"] == 1  # untouched
    business_date_set(on=date(2026, 7, 1))
    assert selectors.statistics_for_period("2026-06").pk == second.pk
    assert [v.version for v in selectors.statistics_versions("2026-06")] == [2, 1]
    event = AuditEvent.objects.get(action="disclosure.statistics_published", actor=compliance)
    assert event.after["restatement_note"] == "B11 was marked related in error."


def test_a_second_version_without_a_note_is_refused_by_the_database(book):
    first = statistics_snapshot_take(period="2026-06")
    with pytest.raises(IntegrityError), transaction.atomic():
        StatisticsSnapshot.objects.create(
            period="2026-06", kind="monthly", version=2, status="published",
            as_of=first.as_of, period_start=first.period_start, publish_on=first.publish_on,
        )  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        StatisticsSnapshot.objects.create(
            period="2026-06", kind="monthly", version=1, status="published",
            as_of=first.as_of, period_start=first.period_start, publish_on=first.publish_on,
        )  # fmt: skip


def test_snapshots_and_loan_sets_are_never_updated_or_deleted(book):
    snapshot = statistics_snapshot_take(period="2026-06")
    with pytest.raises(StatisticsAppendOnlyError):
        snapshot.save()
    with pytest.raises(StatisticsAppendOnlyError):
        snapshot.delete()
    for sql in (
        "UPDATE disclosure_statisticssnapshot SET figures = '{}'",
        "DELETE FROM disclosure_statisticsloanset",
        "UPDATE disclosure_statisticssnapshot SET status = 'published'",
    ):
        with (
            pytest.raises((InternalError, ProgrammingError)),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert StatisticsSnapshot.objects.get().figures["overdue_count"] == 4


def test_the_daily_step_takes_the_day_and_at_month_end_the_monthly_report(book):
    assert ("disclosure_snapshot", disclosure_snapshot) in DAILY_STEPS
    ReconciliationRun.objects.create(statement_on=date(2026, 6, 29))
    result = disclosure_snapshot(date(2026, 6, 29))
    assert set(result) == {"daily", "daily_status"}
    result = disclosure_snapshot(AS_OF)
    assert result["monthly_status"] == result["daily_status"] == "published"
    # A replayed date changes nothing.
    assert disclosure_snapshot(AS_OF) == result
    assert StatisticsSnapshot.objects.count() == 3
    monthly = StatisticsSnapshot.objects.get(period="2026-06")
    business_date_set(on=date(2026, 6, 30))
    assert selectors.statistics_monthly_archive() == []  # not before its publication day
    business_date_set(on=date(2026, 7, 1))
    assert selectors.statistics_monthly_archive() == [monthly]


def test_the_batch_runs_the_step_after_reconciliation(make_user):
    from lending.services.batch import run_daily

    build_book(make_user, reconciled=False)
    results = run_daily(as_of=AS_OF)
    names = list(results)
    assert names.index("disclosure_snapshot") > names.index("ledger_reconcile")
    snapshot = StatisticsSnapshot.objects.get(period="2026-06")
    # The batch's own reconciliation ran first, so the check had a run to read.
    assert "no reconciliation run" not in str(snapshot.checks)


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("2026-06", ("monthly", date(2026, 6, 1), date(2026, 6, 30))),
        ("2024-02", ("monthly", date(2024, 2, 1), date(2024, 2, 29))),
        ("2026-06-05", ("daily", date(2026, 6, 5), date(2026, 6, 5))),
    ],
)
def test_period_parse(period, expected):
    assert period_parse(period) == expected


@pytest.mark.parametrize("period", ["2026-13", "2026-02-30", "2026-6", "26-06", "2026-06-01x", ""])
def test_period_parse_refuses_malformed_periods(period):
    with pytest.raises(InvalidPeriod):
        period_parse(period)


def test_first_business_day_skips_weekends_and_listed_holidays(settings):
    assert first_business_day(2026, 8) == date(2026, 8, 3)  # 1 August 2026 is a Saturday
    settings.DISCLOSURE_NON_BUSINESS_DAYS = ["2026-07-01"]
    assert first_business_day(2026, 7) == date(2026, 7, 2)


def test_loan_id_sets_round_trip_compactly():
    ids = list(range(1, 100_001))
    packed = loan_ids_pack(reversed(ids))
    assert loan_ids_unpack(packed) == ids
    assert len(packed) < 2_000
    assert loan_ids_unpack(loan_ids_pack([])) == []
