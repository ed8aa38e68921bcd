"""CSV exports of postings: formula cells neutralised, amounts left as numbers."""

import csv
import io
from decimal import Decimal

import pytest

from custody.exports import csv_text
from custody.models import LedgerAccount
from custody.services import Leg, ledger_post, platform_account_id, user_account_ids

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("deposit", "deposit"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_csv_text_neutralises_formula_triggers(value, expected):
    assert csv_text(value) == expected


MEMOS = ['=HYPERLINK("http://evil.example","x")', "+cmd", "-2+3", "@SUM(1)", "\tTab", "\rCR"]


def _post_memos(user_id):
    available, _ = user_account_ids(user_id)
    custodian = platform_account_id(LedgerAccount.Kind.CUSTODIAN)
    for i, memo in enumerate(MEMOS):
        ledger_post(
            idempotency_key=f"memo-{i}",
            kind="deposit",
            memo=memo,
            legs=[Leg(custodian, Decimal("-1.00")), Leg(available, Decimal("1.00"))],
        )
    ledger_post(
        idempotency_key="out",
        kind="withdrawal",
        memo="plain",
        legs=[Leg(available, Decimal("-1.50")), Leg(custodian, Decimal("1.50"))],
    )


def _rows(response):
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("url", ["/api/v1/wallet/entries?export=csv", "/wallet/history?export=csv"])
def test_exports_neutralise_memos_but_not_amounts(client, user, url):
    client.force_login(user)
    _post_memos(user.id)
    rows = _rows(client.get(url))
    memos = {row["memo"] for row in rows}
    assert memos == {f"'{m}" for m in MEMOS} | {"plain"}
    amounts = sorted(row["amount"] for row in rows)
    assert amounts == ["-1.50"] + ["1.00"] * len(MEMOS)
