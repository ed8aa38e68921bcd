"""Regulatory filings: the daily loan-level file equals the loan book in every format, its
manifest hashes its bytes, a re-run makes nothing new, a changed book makes the next version
and keeps the earlier one; COPY and the ORM iterator print the same bytes."""

import hashlib
import hmac
import json
import tempfile
from datetime import date
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max, Sum

from compliance.filings_errors import FilingFormatUnknown, FilingKindUnknown, FilingPeriodInvalid
from compliance.filings_kinds import (
    DAILY_LOAN_COLUMNS,
    DECIMAL,
    INT,
    daily_loans_source,
    day_period,
    pseudonym_key,
)
from compliance.filings_writers import write_filing
from compliance.models import Filing
from compliance.services.filings import filing_generate, filings_due
from core.audit import AuditEvent
from lending.models import Installment, Loan
from lending.services.batch import run_daily
from lending.services.repayments import repayment_make
from tests.compliance.filings_book import AWKWARD_REGION, make_book, read_rows

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

PERIOD = "2026-02-01"
TYPES = {c.name: c.type for c in DAILY_LOAN_COLUMNS}


def _value(name: str, text):
    if text is None:
        return None
    if TYPES[name] == DECIMAL:
        return D(text)
    if TYPES[name] == INT:
        return int(text)
    return text


def _expected(loan: Loan) -> dict:
    """What the book says of one loan, column by column."""
    loan.refresh_from_db()
    installments = Installment.objects.filter(loan=loan)
    unpaid = installments.aggregate(u=Sum(F("principal_amount") - F("paid_principal_amount")))["u"]
    borrower = loan.disclosure.get("borrower", {})
    key = pseudonym_key()
    return {
        "loan_reference": loan.reference,
        "borrower_pseudonym": hmac.new(
            key, str(loan.borrower_id).encode(), hashlib.sha256
        ).hexdigest()[:32],
        "borrower_kind": borrower.get("kind"),
        "borrower_region": borrower.get("region"),
        "borrower_age_band": {1999: "25-34", None: None}.get(borrower.get("birth_year"), "?"),
        "borrower_income_band": borrower.get("monthly_income_band")
        or borrower.get("monthly_revenue_band"),
        "product_code": loan.product.code,
        "grade": loan.grade,
        "purpose": loan.purpose,
        "repayment_method": loan.method,
        "status": loan.status,
        "delinquency_bucket": loan.delinquency_bucket,
        "currency": loan.currency,
        "amount": loan.amount,
        "funded_amount": loan.funded_amount,
        "annual_rate": loan.annual_rate,
        "apr": loan.application.offer_apr,
        "term_months": loan.term_months,
        "listed_on": loan.listed_on.isoformat(),
        "disbursed_on": loan.disbursed_on.isoformat() if loan.disbursed_on else None,
        "maturity_on": (
            installments.aggregate(m=Max("due_on"))["m"].isoformat()
            if installments.exists()
            else None
        ),
        "outstanding_principal": (unpaid or D("0")) if loan.status == "repaying" else D("0"),
        "days_past_due": loan.days_past_due,
        "defaulted_on": None,
        "written_off_on": None,
    }


def _stored(filing: Filing) -> bytes:
    with default_storage.open(filing.file.name, "rb") as f:
        return f.read()


@pytest.fixture
def book(make_user, onboarding, product):
    return make_book(make_user, onboarding, product)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_the_daily_file_holds_every_loan_as_the_book_has_it(book, fmt):
    filing = filing_generate(kind="daily_loans", period=PERIOD, fmt=fmt).filing
    rows = read_rows(fmt, _stored(filing))
    loans = list(Loan.objects.order_by("id"))
    assert [r["loan_reference"] for r in rows] == [loan.reference for loan in loans]
    assert filing.row_count == len(loans) == 3
    for row, loan in zip(rows, loans, strict=True):
        assert list(row) == [c.name for c in DAILY_LOAN_COLUMNS]
        got = {name: _value(name, text) for name, text in row.items()}
        assert got == _expected(loan), loan.reference
    repaying = next(r for r in rows if r["loan_reference"] == book["repaying"].reference)
    assert D(repaying["outstanding_principal"]) == book["repaying"].amount  # nothing repaid yet
    assert next(r for r in rows if r["borrower_region"])["borrower_region"] == AWKWARD_REGION


def test_the_file_names_no_borrower(book):
    data = b"".join(
        _stored(filing_generate(kind="daily_loans", period=PERIOD, fmt=fmt).filing)
        for fmt in ("csv", "json")
    )
    for loan in book.values():
        user = loan.borrower
        assert user.email.encode() not in data
        assert f'"{user.pk}"'.encode() not in data
    assert b"L** M**" not in data and b"Enterprise ****" not in data


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_the_manifest_states_the_file_and_its_hash(book, fmt):
    filing = filing_generate(kind="daily_loans", period=PERIOD, fmt=fmt).filing
    data = _stored(filing)
    with default_storage.open(filing.manifest_file.name, "rb") as f:
        manifest = json.load(f)
    assert manifest["file"] == filing.file_name
    assert manifest["generated_at"] == filing.generated_at.isoformat()
    assert manifest["sha256"] == hashlib.sha256(data).hexdigest() == filing.sha256
    assert manifest["size"] == len(data)
    assert manifest["row_count"] == 3
    assert (manifest["kind"], manifest["period"], manifest["format"]) == (
        "daily_loans",
        PERIOD,
        fmt,
    )
    assert (manifest["version"], manifest["schema_version"]) == (1, 1)
    assert manifest["generated_at"]
    assert [c["name"] for c in manifest["columns"]] == [c.name for c in DAILY_LOAN_COLUMNS]
    assert filing.file.name == f"filings/daily_loans/{PERIOD}/v1/daily_loans_{PERIOD}_v1." + (
        "jsonl" if fmt == "json" else fmt
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_a_rerun_without_change_makes_the_same_bytes_and_nothing_new(book, fmt):
    first = filing_generate(kind="daily_loans", period=PERIOD, fmt=fmt)
    audits = AuditEvent.objects.filter(action="compliance.filing_generated").count()
    again = filing_generate(kind="daily_loans", period=PERIOD, fmt=fmt)
    assert first.created and not again.created
    assert again.filing.pk == first.filing.pk
    assert Filing.objects.filter(kind="daily_loans", period=PERIOD, format=fmt).count() == 1
    assert AuditEvent.objects.filter(action="compliance.filing_generated").count() == audits
    # The bytes themselves: made again from scratch, they hash the same.
    with tempfile.TemporaryFile() as tmp:
        source = daily_loans_source(day_period(PERIOD))
        written = write_filing(source, fmt, tmp, title="loans", created=date(2026, 2, 1))
    assert written.sha256 == first.filing.sha256


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_a_changed_book_makes_v2_and_keeps_v1(book, fmt):
    v1 = filing_generate(kind="daily_loans", period=PERIOD, fmt=fmt).filing
    v1_bytes = _stored(v1)
    loan = book["repaying"]
    repayment_make(
        loan_id=loan.pk, borrower=loan.borrower, idempotency_key="early", amount=D("2000.00")
    )
    result = filing_generate(kind="daily_loans", period=PERIOD, fmt=fmt)
    v2 = result.filing
    assert result.created and v2.version == 2 and v2.pk != v1.pk
    with default_storage.open(v2.manifest_file.name, "rb") as f:
        assert json.load(f)["supersedes_version"] == 1
    assert v2.file.name != v1.file.name and "/v2/" in v2.file.name
    assert _stored(v1) == v1_bytes  # v1 untouched
    assert hashlib.sha256(_stored(v2)).hexdigest() == v2.sha256 != v1.sha256
    row = next(r for r in read_rows(fmt, _stored(v2)) if r["loan_reference"] == loan.reference)
    assert D(row["outstanding_principal"]) == _expected(loan)["outstanding_principal"]
    assert D(row["outstanding_principal"]) < loan.amount
    event = AuditEvent.objects.filter(action="compliance.filing_generated").order_by("-id")[0]
    assert event.subject_id == str(v2.pk) and event.after["version"] == 2


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_copy_and_the_orm_iterator_print_the_same_bytes(book, fmt):
    """The embedded (SQLite) mode's path, run here on PostgreSQL against COPY's output."""
    source = daily_loans_source(day_period(PERIOD))
    with tempfile.TemporaryFile() as a, tempfile.TemporaryFile() as b:
        by_copy = write_filing(source, fmt, a, title="loans", created=date(2026, 2, 1), copy=True)
        by_orm = write_filing(source, fmt, b, title="loans", created=date(2026, 2, 1), copy=False)
        a.seek(0), b.seek(0)
        assert a.read() == b.read()
    assert by_copy == by_orm and by_copy.row_count == 3


def test_a_filing_row_is_never_changed_or_replaced(book):
    filing = filing_generate(kind="daily_loans", period=PERIOD, fmt="csv").filing
    with pytest.raises(IntegrityError), transaction.atomic():
        Filing.objects.create(**{
            f.name: getattr(filing, f.name) for f in Filing._meta.concrete_fields if not f.primary_key
        })  # fmt: skip
    if connection.vendor == "postgresql":
        from django.db import DatabaseError

        with pytest.raises(DatabaseError), transaction.atomic():
            Filing.objects.filter(pk=filing.pk).update(sha256="0" * 64)
        with pytest.raises(DatabaseError), transaction.atomic():
            Filing.objects.filter(pk=filing.pk).delete()
    filing.refresh_from_db()
    assert filing.version == 1


def test_bad_kind_period_or_format_is_refused_and_makes_nothing(book):
    with pytest.raises(FilingKindUnknown):
        filing_generate(kind="weekly_gossip", period=PERIOD, fmt="csv")
    for period in ("2026-02", "2026-02-30", "yesterday", ""):
        with pytest.raises(FilingPeriodInvalid):
            filing_generate(kind="daily_loans", period=period, fmt="csv")
    with pytest.raises(FilingFormatUnknown):
        filing_generate(kind="daily_loans", period=PERIOD, fmt="pdf")
    assert not Filing.objects.exists()


def test_the_command_makes_each_format_then_nothing_new(book):
    out = StringIO()
    call_command("generate_filings", "--kind", "daily_loans", "--period", PERIOD, stdout=out)
    assert sorted(Filing.objects.values_list("format", "version")) == [
        ("csv", 1),
        ("json", 1),
        ("xlsx", 1),
    ]
    assert out.getvalue().count("(made)") == 3
    out = StringIO()
    call_command(
        "generate_filings", "--kind", "daily_loans", "--period", PERIOD, "--format", "csv",
        stdout=out,
    )  # fmt: skip
    assert "unchanged, not made again" in out.getvalue()
    assert Filing.objects.count() == 3
    with pytest.raises(CommandError, match="filing_period_invalid"):
        call_command("generate_filings", "--kind", "daily_loans", "--period", "2026-13-01")


def test_the_daily_batch_makes_the_days_filing(book):
    results = run_daily(as_of=date(2026, 2, 3))
    assert results["filings_daily"] == {"csv": "v1 new", "xlsx": "v1 new", "json": "v1 new"}
    filing = Filing.objects.get(period="2026-02-03", format="csv")
    assert filing.row_count == 3
    # The date replayed: its step is recorded, nothing is made again.
    assert run_daily(as_of=date(2026, 2, 3))["filings_daily"] == results["filings_daily"]
    assert Filing.objects.filter(period="2026-02-03").count() == 3


def test_the_beat_task_makes_what_is_due_once(book, settings):
    settings.FILINGS_FORMATS = ("csv", "json")
    first, again = filings_due(on=date(2026, 3, 1)), filings_due(on=date(2026, 3, 1))
    assert first["daily_loans"] == {"csv": "v1 new", "json": "v1 new"}
    assert again["daily_loans"] == {"csv": "v1 same", "json": "v1 same"}
    # February's statistics report is not published in this book: its filing waits.
    assert first["monthly_statistics"].startswith("waiting:")
    assert sorted(Filing.objects.values_list("period", "format")) == [
        ("2026-03-01", "csv"),
        ("2026-03-01", "json"),
    ]
