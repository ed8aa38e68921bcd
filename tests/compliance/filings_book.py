"""A small loan book for the filings tests: a repaying loan disbursed through the real
services, an open loan whose masked facts hold every character CSV and JSON must escape, and
an enterprise borrower's loan; and readers of what a filing's file holds."""

import csv
import io
import json
from decimal import Decimal as D

from openpyxl import load_workbook

from lending.models import Loan
from tests.lending.factories import LoanFactory
from tests.lending.servicing import repaying_loan

AWKWARD_REGION = 'Guang"dong, Nan\nshan\t区'


def make_book(make_user, onboarding, product) -> dict[str, Loan]:
    repaying = repaying_loan(make_user, onboarding, product, borrower_cash="3000")
    open_borrower = onboarding.borrower(make_user("borrower", email="open.borrower@example.test"))
    open_loan = LoanFactory(
        borrower=open_borrower,
        product=product,
        grade="C",
        annual_rate=D("0.120000"),
        disclosure={
            "borrower": {
                "kind": "individual",
                "name": "L** M**",
                "region": AWKWARD_REGION,
                "birth_year": 1999,
                "employment": "employed",
                "monthly_income_band": "5,000-10,000",
            }
        },
    )
    company = onboarding.borrower(make_user("borrower"), kind="enterprise")
    enterprise = LoanFactory(
        borrower=company,
        product=product,
        amount=D("50000.00"),
        disclosure={
            "borrower": {
                "kind": "enterprise",
                "name": "Enterprise ****",
                "monthly_revenue_band": "200,000-1,000,000",
            }
        },
    )
    return {"repaying": repaying, "open": open_loan, "enterprise": enterprise}


def read_rows(fmt: str, data: bytes) -> list[dict]:
    """The file's rows as dicts of text (None for an empty value), whatever the format."""
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(data.decode(), newline=""))
        return [{k: (v if v != "" else None) for k, v in row.items()} for row in reader]
    if fmt == "json":
        rows = [json.loads(line) for line in data.decode().splitlines()]
        return [{k: (None if v is None else str(v)) for k, v in row.items()} for row in rows]
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    rows = []
    for sheet in workbook.worksheets:
        values = sheet.iter_rows(values_only=True)
        header = next(values)
        for row in values:
            # Trailing empty cells are not written: pad the row to the header.
            row = tuple(row) + (None,) * (len(header) - len(row))
            rows.append({k: _xlsx_text(v) for k, v in zip(header, row, strict=True)})
    return rows


def _xlsx_text(value) -> str | None:
    if value is None:
        return None
    if hasattr(value, "date") and callable(value.date):
        return value.date().isoformat()
    if isinstance(value, float):
        return format(D(str(value)), "f")
    return str(value)
