"""The kinds of regulatory filing: a registry of what each kind's file holds (its columns, the
SELECT that PostgreSQL streams with COPY, and the same rows from the ORM on other databases)
and how its period is written. The daily loan-level file is defined here; a new kind is one
generator function registered with `filing_kind_register`."""

import calendar
import hashlib
import hmac
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db.models import DecimalField, Max, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from compliance.filings_errors import FilingKindUnknown, FilingPeriodInvalid
from lending.models import MONEY, RATE, Installment, Loan

# Column types: how a value is written in each format. Every value travels as its canonical
# text (or None): the text PostgreSQL's COPY prints for the column's SQL expression, which
# the ORM path reproduces exactly, so both paths give the same bytes.
TEXT, INT, DECIMAL, DATE = "text", "int", "decimal", "date"


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    # A SQL expression over the source's FROM clause giving the canonical text, or NULL.
    sql: str


@dataclass(frozen=True)
class Period:
    label: str  # "2026-12-06" (a day) or "2026-11" (a month)
    start: date
    end: date


@dataclass(frozen=True)
class RowSource:
    """One filing's rows, two ways: `select_sql()` for COPY (PostgreSQL) and `rows()` from
    the ORM with a server-side iterator (any database). Both give the same rows, in order."""

    columns: tuple[Column, ...]
    from_sql: str  # "FROM ... ORDER BY ..."
    params: dict
    rows: Callable[[int], Iterator[tuple]]  # chunk_size -> canonical text tuples

    def select_sql(self) -> str:
        selected = ", ".join(f'{c.sql} AS "{c.name}"' for c in self.columns)
        return f"SELECT {selected} {self.from_sql}"

    def json_lines_sql(self) -> str:
        """One JSON object per row, as text, keys in column order: integers as numbers,
        everything else (decimals included) as strings, NULL as null."""
        parts = []
        for i, column in enumerate(self.columns):
            key = ("{" if i == 0 else ",") + f'"{column.name}":'
            value = (
                f"COALESCE(({column.sql}), 'null')"
                if column.type == INT
                else f"COALESCE(to_json(({column.sql}))::text, 'null')"
            )
            parts.append(f"'{key}' || {value}")
        return "SELECT " + " || ".join(parts) + " || '}' " + self.from_sql


@dataclass(frozen=True)
class FilingKind:
    code: str
    label: str
    schema_version: int
    cadence: str  # "daily" or "monthly": which period is due when (filings_due)
    parse_period: Callable[[str], Period]
    source: Callable[[Period], RowSource]
    sheet_title: str = "rows"
    description: str = field(default="")


FILING_KINDS: dict[str, FilingKind] = {}


def filing_kind_register(kind: FilingKind) -> None:
    """Add a kind of filing (registering a code again keeps the first)."""
    FILING_KINDS.setdefault(kind.code, kind)


def filing_kind(code: str) -> FilingKind:
    try:
        return FILING_KINDS[code]
    except KeyError:
        raise FilingKindUnknown(kinds=sorted(FILING_KINDS)) from None


# --- periods ---------------------------------------------------------------------------------

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")


def day_period(text: str) -> Period:
    if not _DAY.match(text or ""):
        raise FilingPeriodInvalid(_("A daily filing's period is a date, YYYY-MM-DD."))
    try:
        on = date.fromisoformat(text)
    except ValueError:
        raise FilingPeriodInvalid(_("A daily filing's period is a date, YYYY-MM-DD.")) from None
    return Period(label=text, start=on, end=on)


def month_period(text: str) -> Period:
    if not _MONTH.match(text or ""):
        raise FilingPeriodInvalid(_("A monthly filing's period is a month, YYYY-MM."))
    year, month = int(text[:4]), int(text[5:])
    if not (1 <= month <= 12 and year >= 1):
        raise FilingPeriodInvalid(_("A monthly filing's period is a month, YYYY-MM."))
    last = calendar.monthrange(year, month)[1]
    return Period(label=text, start=date(year, month, 1), end=date(year, month, last))


# --- canonical text, as PostgreSQL prints it --------------------------------------------------


def _text(value) -> str | None:
    # Empty text is NULL in every file (NULLIF in the SQL): one way to say "not known".
    return None if value in (None, "") else str(value)


def _decimal(value, places: int) -> str | None:
    if value is None:
        return None
    return format(Decimal(value).quantize(Decimal(1).scaleb(-places)), "f")


def _date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _int(value) -> str | None:
    return None if value is None else str(int(value))


# --- the borrower's pseudonym -----------------------------------------------------------------


def pseudonym_key() -> bytes:
    """The key of borrower pseudonyms: FILINGS_PSEUDONYM_KEY, or one derived from the oldest
    configured PII key (a key kept while any data under it lives), so that the same borrower
    has the same pseudonym in every filing and the regulator can follow them over time
    without learning who they are."""
    configured = getattr(settings, "FILINGS_PSEUDONYM_KEY", "")
    material = configured or [k for k in settings.PII_ENCRYPTION_KEYS if k.strip()][-1]
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"p2p-filing-pseudonym-v1")
    return hkdf.derive(material.encode())


PSEUDONYM_HEX = 32  # 128 bits of HMAC-SHA256


def pseudonym(user_id: int, key: bytes) -> str:
    return hmac.new(key, str(user_id).encode(), hashlib.sha256).hexdigest()[:PSEUDONYM_HEX]


def _hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """HMAC's inner and outer padded keys (RFC 2104), so PostgreSQL computes the same HMAC
    with its built-in sha256(): sha256(opad || sha256(ipad || message))."""
    block = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)


# --- ages and bands ---------------------------------------------------------------------------

AGE_BANDS = ((25, "under 25"), (35, "25-34"), (45, "35-44"), (55, "45-54"), (65, "55-64"))
AGE_BAND_TOP = "65 and over"


def age_band(birth_year, year: int) -> str | None:
    if birth_year in (None, "") or not re.fullmatch(r"\d{4}", str(birth_year)):
        return None
    age = year - int(birth_year)
    for ceiling, band in AGE_BANDS:
        if age < ceiling:
            return band
    return AGE_BAND_TOP


def _age_band_sql(birth_year: str) -> str:
    whens = " ".join(
        f"WHEN %(year)s - ({birth_year})::int < {ceiling} THEN '{band}'"
        for ceiling, band in AGE_BANDS
    )
    return (
        f"CASE WHEN ({birth_year}) IS NULL OR ({birth_year}) !~ '^[0-9]{{4}}$' THEN NULL "
        f"{whens} ELSE '{AGE_BAND_TOP}' END"
    )


# --- the daily loan-level file ----------------------------------------------------------------

# Statuses whose principal is still owed: disbursed, neither repaid nor written off.
OUTSTANDING_STATUSES = (Loan.Status.REPAYING, Loan.Status.DEFAULTED)
_BORROWER = "l.disclosure -> 'borrower'"
_BIRTH_YEAR = f"({_BORROWER} ->> 'birth_year')"
_MONEY, _RATE = MONEY["decimal_places"], RATE["decimal_places"]


def _date_sql(expr: str) -> str:
    return f"to_char({expr}, 'YYYY-MM-DD')"


DAILY_LOAN_COLUMNS = (
    Column("loan_reference", TEXT, "l.reference"),
    Column(
        "borrower_pseudonym",
        TEXT,
        f"left(encode(sha256(%(opad)s::bytea || sha256(%(ipad)s::bytea || "
        f"convert_to(l.borrower_id::text, 'UTF8'))), 'hex'), {PSEUDONYM_HEX})",
    ),
    Column("borrower_kind", TEXT, f"NULLIF({_BORROWER} ->> 'kind', '')"),
    Column("borrower_region", TEXT, f"NULLIF({_BORROWER} ->> 'region', '')"),
    Column("borrower_age_band", TEXT, _age_band_sql(_BIRTH_YEAR)),
    Column(
        "borrower_income_band",
        TEXT,
        f"NULLIF(COALESCE({_BORROWER} ->> 'monthly_income_band', "
        f"{_BORROWER} ->> 'monthly_revenue_band'), '')",
    ),
    Column("product_code", TEXT, "p.code"),
    Column("grade", TEXT, "NULLIF(l.grade, '')"),
    Column("purpose", TEXT, "NULLIF(l.purpose, '')"),
    Column("repayment_method", TEXT, "NULLIF(l.method, '')"),
    Column("status", TEXT, "l.status"),
    Column("delinquency_bucket", TEXT, "l.delinquency_bucket"),
    Column("currency", TEXT, "l.currency"),
    Column("amount", DECIMAL, "l.amount::text"),
    Column("funded_amount", DECIMAL, "l.funded_amount::text"),
    Column("annual_rate", DECIMAL, "l.annual_rate::text"),
    Column("apr", DECIMAL, "a.offer_apr::text"),
    Column("term_months", INT, "l.term_months::text"),
    Column("listed_on", DATE, _date_sql("l.listed_on")),
    Column("disbursed_on", DATE, _date_sql("l.disbursed_on")),
    Column("maturity_on", DATE, _date_sql("i.maturity_on")),
    Column(
        "outstanding_principal",
        DECIMAL,
        "(CASE WHEN l.status IN ('repaying', 'defaulted') "
        f"THEN COALESCE(i.unpaid_principal, 0)::numeric(14, {_MONEY}) "
        f"ELSE 0::numeric(14, {_MONEY}) END)::text",
    ),
    Column("days_past_due", INT, "l.days_past_due::text"),
    Column("defaulted_on", DATE, _date_sql("l.defaulted_on")),
    Column("written_off_on", DATE, _date_sql("l.written_off_on")),
)

DAILY_LOANS_FROM = """
FROM lending_loan l
JOIN lending_product p ON p.id = l.product_id
JOIN lending_application a ON a.id = l.application_id
LEFT JOIN (
    SELECT loan_id, MAX(due_on) AS maturity_on,
           SUM(principal_amount - paid_principal_amount) AS unpaid_principal
    FROM lending_installment GROUP BY loan_id
) i ON i.loan_id = l.id
ORDER BY l.id
"""


def _daily_loan_rows(period: Period, key: bytes, chunk_size: int) -> Iterator[tuple]:
    installments = Installment.objects.filter(loan=OuterRef("pk")).values("loan")
    money = DecimalField(max_digits=14, decimal_places=_MONEY)
    loans = (
        Loan.objects.order_by("id")
        .annotate(
            maturity_on=Subquery(installments.annotate(m=Max("due_on")).values("m")),
            unpaid_principal=Coalesce(
                Subquery(
                    installments.annotate(
                        u=Sum("principal_amount") - Sum("paid_principal_amount")
                    ).values("u"),
                    output_field=money,
                ),
                0,
                output_field=money,
            ),
        )
        .values_list(
            "reference",
            "borrower_id",
            "disclosure",
            "product__code",
            "grade",
            "purpose",
            "method",
            "status",
            "delinquency_bucket",
            "currency",
            "amount",
            "funded_amount",
            "annual_rate",
            "application__offer_apr",
            "term_months",
            "listed_on",
            "disbursed_on",
            "maturity_on",
            "unpaid_principal",
            "days_past_due",
            "defaulted_on",
            "written_off_on",
        )
    )
    year = period.start.year
    zero = Decimal(0)
    for row in loans.iterator(chunk_size=chunk_size):
        (reference, borrower_id, disclosure, product, grade, purpose, method, status, bucket,
         currency, amount, funded, rate, apr, term, listed, disbursed, maturity, unpaid, dpd,
         defaulted, written_off) = row  # fmt: skip
        borrower = (disclosure or {}).get("borrower") or {}
        income = borrower.get("monthly_income_band")
        if income is None:
            income = borrower.get("monthly_revenue_band")
        outstanding = unpaid if status in OUTSTANDING_STATUSES else zero
        yield (
            _text(reference),
            pseudonym(borrower_id, key),
            _text(borrower.get("kind")),
            _text(borrower.get("region")),
            age_band(borrower.get("birth_year"), year),
            _text(income),
            _text(product),
            _text(grade),
            _text(purpose),
            _text(method),
            _text(status),
            _text(bucket),
            _text(currency),
            _decimal(amount, _MONEY),
            _decimal(funded, _MONEY),
            _decimal(rate, _RATE),
            _decimal(apr, _RATE),
            _int(term),
            _date(listed),
            _date(disbursed),
            _date(maturity),
            _decimal(outstanding or zero, _MONEY),
            _int(dpd),
            _date(defaulted),
            _date(written_off),
        )


def daily_loans_source(period: Period) -> RowSource:
    """Every loan on the book, one row each, in id order: its terms, status and servicing
    state as the book stands when the file is made. The borrower appears only as a keyed
    pseudonym with masked facts (kind, region, age band on the period's year, income band);
    no name, ID number, phone or user id."""
    key = pseudonym_key()
    ipad, opad = _hmac_pads(key)
    return RowSource(
        columns=DAILY_LOAN_COLUMNS,
        from_sql=DAILY_LOANS_FROM,
        params={"ipad": ipad, "opad": opad, "year": period.start.year},
        rows=lambda chunk_size: _daily_loan_rows(period, key, chunk_size),
    )


filing_kind_register(
    FilingKind(
        code="daily_loans",
        label=_("Daily loan-level file"),
        schema_version=1,
        cadence="daily",
        parse_period=day_period,
        source=daily_loans_source,
        sheet_title="loans",
        description=_(
            "Every loan on the book with its status, terms, outstanding principal and days "
            "overdue; borrowers as pseudonyms with masked facts."
        ),
    )
)


# --- the monthly statistics report -------------------------------------------------------------

MONTHLY_STATISTICS_COLUMNS = (
    Column("period", TEXT, "s.period"),
    Column("version", INT, "s.version::text"),
    Column("published_on", DATE, _date_sql("s.publish_on")),
    Column("figure", TEXT, "f.key"),
    Column("value", TEXT, "f.value"),
)

# The period's latest published monthly report (a restatement is a later version), one row
# per figure, by the figure's name in code-point order (as Python sorts it).
MONTHLY_STATISTICS_FROM = """
FROM disclosure_statisticssnapshot s
CROSS JOIN LATERAL jsonb_each_text(s.figures) f
WHERE s.id = (
    SELECT id FROM disclosure_statisticssnapshot
    WHERE period = %(period)s AND kind = 'monthly' AND status = 'published'
    ORDER BY version DESC LIMIT 1
)
ORDER BY f.key COLLATE "C"
"""


def _published_report(period: Period):
    from disclosure.models import StatisticsSnapshot

    return (
        StatisticsSnapshot.objects.filter(
            period=period.label,
            kind=StatisticsSnapshot.Kind.MONTHLY,
            status=StatisticsSnapshot.Status.PUBLISHED,
        )
        .order_by("-version")
        .first()
    )


def _monthly_statistics_rows(period: Period, chunk_size: int) -> Iterator[tuple]:
    report = _published_report(period)
    if report is None:
        return
    for figure in sorted(report.figures):
        value = report.figures[figure]
        yield (
            report.period,
            _int(report.version),
            _date(report.publish_on),
            figure,
            None if value is None else str(value),
        )


def monthly_statistics_source(period: Period) -> RowSource:
    """The month's published statistics report (disclosure), a row per figure: the figures
    the public page shows, as published, with the report's version. Refused before the report
    is published (filings_due waits for it)."""
    if _published_report(period) is None:
        raise FilingPeriodInvalid(_("The statistics report for this month is not published yet."))
    return RowSource(
        columns=MONTHLY_STATISTICS_COLUMNS,
        from_sql=MONTHLY_STATISTICS_FROM,
        params={"period": period.label},
        rows=lambda chunk_size: _monthly_statistics_rows(period, chunk_size),
    )


filing_kind_register(
    FilingKind(
        code="monthly_statistics",
        label=_("Monthly statistics report"),
        schema_version=1,
        cadence="monthly",
        parse_period=month_period,
        source=monthly_statistics_source,
        sheet_title="statistics",
        description=_(
            "The month's published platform statistics (disclosure), one row per figure, "
            "with the report's version."
        ),
    )
)
