"""Investors see each payout in their wallet: one line per payout, naming its loan and
installment, on the wallet page, the history and GET /api/v1/wallet/entries."""

from datetime import date
from decimal import Decimal as D

import pytest

from lending.models import Payout
from tests.lending.portfolios import loan_held_by, repay_installment

pytestmark = pytest.mark.django_db


def test_each_payout_is_its_own_wallet_line_with_loan_and_installment(
    client, api_client, make_user, onboarding, product
):
    """Two investments of one investor in the same loan: two payouts a repayment, two lines
    (each its own posting of the distribution's entry), never one merged amount."""
    investor = onboarding.investor(make_user("investor"))
    other = onboarding.investor(make_user("investor"))
    loan = loan_held_by(
        make_user, onboarding, product,
        [(investor, "3000.00"), (investor, "3000.00"), (other, "4000.00")],
        on=date(2026, 1, 15),
    )  # fmt: skip
    repay_installment(loan, 1)
    repay_installment(loan, 2)
    payouts = list(Payout.objects.filter(investor=investor).order_by("-id"))
    assert len(payouts) == 4
    api_client.force_authenticate(investor)
    entries = api_client.get("/api/v1/wallet/entries", {"kind": "payout"}).json()["results"]
    assert [(e["memo"], e["amount"], e["account"]) for e in entries] == [
        (f"Repayment from {loan.reference} (installment {n})", f"{p.net_amount:.2f}", "available")
        for n, p in zip([2, 2, 1, 1], payouts, strict=True)
    ]
    client.force_login(investor)
    for path in ("/wallet/", "/wallet/history"):
        html = client.get(path).content.decode()
        assert html.count(f"Repayment from {loan.reference} (installment 1)") == 2, path
        assert html.count(f"Repayment from {loan.reference} (installment 2)") == 2, path
        for p in payouts:
            assert f"+{p.net_amount:,.2f}" in html
    assert sum((p.net_amount for p in payouts), D("0")) > D("0")
