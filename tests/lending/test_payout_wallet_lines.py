"""Investors see each payout in their wallet, naming its loan and installment: one posting
per payout in GET /api/v1/wallet/entries, and on the wallet page and history one line per
movement (a distribution's entry), which for a single ticket is the payout itself."""

from datetime import date
from decimal import Decimal as D

import pytest

from lending.models import Payout
from tests.lending.portfolios import loan_held_by, repay_installment

pytestmark = pytest.mark.django_db


def test_each_payout_is_its_own_wallet_line_with_loan_and_installment(
    client, api_client, make_user, onboarding, product
):
    """Two investments of one investor in the same loan: two payouts a repayment, each its
    own posting in the API; the pages show the repayment's movement once, with their sum
    (issue 16's one line per movement), and the portfolio shows each investment's payout."""
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
    by_installment = {1: payouts[2].net_amount + payouts[3].net_amount}
    by_installment[2] = payouts[0].net_amount + payouts[1].net_amount
    for path in ("/wallet/", "/wallet/history"):
        html = client.get(path).content.decode()
        for n, total in by_installment.items():
            assert html.count(f"Repayment from {loan.reference} (installment {n})") == 1, path
            assert f"+{total:,.2f}" in html, path
    assert sum((p.net_amount for p in payouts), D("0")) > D("0")
