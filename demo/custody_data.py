"""Demo money: deposits and a withdrawal for the demo customers, confirmed by the sandbox
custodian's signed callbacks (in-process), then one clean reconciliation."""

from decimal import Decimal

from django.utils import timezone

from custody.adapters.sandbox import SandboxCustodian
from custody.services.movements import deposit_request, withdrawal_request
from custody.services.reconciliation import reconciliation_run

DEMO_DEPOSITS = {
    "investor@demo.example": [Decimal("50000.00"), Decimal("25000.00")],
    "both@demo.example": [Decimal("20000.00")],
    "borrower@demo.example": [Decimal("3000.00")],
}
DEMO_WITHDRAWALS = {"investor@demo.example": Decimal("1500.00")}


def seed_custody(users: dict, password: str) -> None:
    """Fund the demo customers' wallets through the real deposit path; safe to rerun."""
    bank = SandboxCustodian()
    for email, amounts in DEMO_DEPOSITS.items():
        for n, amount in enumerate(amounts, start=1):
            deposit = deposit_request(
                user=users[email], amount=amount, request_key=f"demo-deposit-{n}"
            )
            bank.deposit_instruct(deposit_id=deposit.pk, transport="local")
    for email, amount in DEMO_WITHDRAWALS.items():
        withdrawal = withdrawal_request(
            user=users[email], amount=amount, confirmation=password, request_key="demo-withdrawal-1"
        )
        bank.withdrawal_instruct(withdrawal_id=withdrawal.pk, transport="local")
    reconciliation_run(statement_on=timezone.localdate())
