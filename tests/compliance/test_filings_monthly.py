"""The monthly statistics filing: the month's latest published report, a row per figure,
in every format; COPY and the ORM print the same bytes; nothing is made before the report
is published, and a restatement makes the next version of the filing."""

import tempfile
from datetime import date

import pytest
from django.core.files.storage import default_storage

from compliance.filings_errors import FilingPeriodInvalid
from compliance.filings_kinds import month_period, monthly_statistics_source
from compliance.filings_writers import write_filing
from compliance.models import Filing
from compliance.services.filings import filing_generate, filings_due
from disclosure.models import StatisticsSnapshot
from tests.compliance.filings_book import read_rows

PERIOD = "2026-05"
FIGURES = {
    "loans_cumulative_amount": "1250000.00",
    "loans_cumulative_count": 42,
    "overdue_rate_amount": "0.0312",
    "overdue_90_count": 1,
    "average_per_lender_amount": "8333.33",
}


def _report(version: int = 1, status: str = "published", **figures) -> StatisticsSnapshot:
    return StatisticsSnapshot.objects.create(
        period=PERIOD,
        kind=StatisticsSnapshot.Kind.MONTHLY,
        version=version,
        status=status,
        as_of=date(2026, 5, 31),
        period_start=date(2026, 5, 1),
        publish_on=date(2026, 6, 1),
        figures={**FIGURES, **figures},
        restatement_note="" if version == 1 else "Overdue corrected after a late posting.",
    )


def _rows(filing: Filing, fmt: str) -> list[dict]:
    with default_storage.open(filing.file.name, "rb") as f:
        return read_rows(fmt, f.read())


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_the_file_holds_every_published_figure(fmt):
    _report(status="blocked", overdue_90_count=99)  # never filed
    _report(version=2)
    filing = filing_generate(kind="monthly_statistics", period=PERIOD, fmt=fmt).filing
    rows = _rows(filing, fmt)
    assert [row["figure"] for row in rows] == sorted(FIGURES)
    assert {row["figure"]: str(row["value"]) for row in rows} == {
        key: str(value) for key, value in FIGURES.items()
    }
    assert {(row["period"], str(row["version"]), row["published_on"]) for row in rows} == {
        (PERIOD, "2", "2026-06-01")
    }
    assert filing.row_count == len(FIGURES)


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_copy_and_the_orm_print_the_same_bytes(fmt):
    _report()
    source = monthly_statistics_source(month_period(PERIOD))
    with tempfile.TemporaryFile() as a, tempfile.TemporaryFile() as b:
        by_copy = write_filing(
            source, fmt, a, title="statistics", created=date(2026, 6, 2), copy=True
        )
        by_orm = write_filing(
            source, fmt, b, title="statistics", created=date(2026, 6, 2), copy=False
        )
        a.seek(0), b.seek(0)
        assert a.read() == b.read()
    assert by_copy == by_orm and by_copy.row_count == len(FIGURES)


@pytest.mark.django_db
def test_nothing_is_filed_before_the_report_is_published_then_it_is(settings):
    settings.FILINGS_FORMATS = ("csv",)
    with pytest.raises(FilingPeriodInvalid):
        filing_generate(kind="monthly_statistics", period=PERIOD, fmt="csv")
    due = filings_due(on=date(2026, 6, 1))
    assert due["monthly_statistics"].startswith("waiting:")
    assert not Filing.objects.filter(kind="monthly_statistics").exists()

    _report()
    assert filings_due(on=date(2026, 6, 2))["monthly_statistics"] == {"csv": "v1 new"}
    # A restatement makes the filing's next version and keeps the first.
    _report(version=2, overdue_90_count=2)
    assert filings_due(on=date(2026, 6, 3))["monthly_statistics"] == {"csv": "v2 new"}
    assert Filing.objects.filter(kind="monthly_statistics").count() == 2
