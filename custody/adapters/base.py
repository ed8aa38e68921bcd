"""The custodian adapter interface: what the platform asks of a custodian bank."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol


class CustodianUnavailable(RuntimeError):
    """The bank did not answer a query (timeout, outage); the caller says so and goes on."""


@dataclass(frozen=True)
class StatementLine:
    """One booked movement on the custodian's daily statement (signed: + in, - out)."""

    reference: str
    kind: str
    amount: Decimal
    booked_on: date


class CustodianAdapter(Protocol):
    """A custodian bank. Results of deposits and withdrawals arrive later, as signed
    callbacks to /custody/callbacks/<name>, never as return values."""

    name: str

    def sub_account_open(self, *, user_id: int) -> str:
        """Open the user's own sub-account at the bank; return its external id."""

    def transfer_authorise(self, *, user, amount: Decimal, confirmation: str) -> bool:
        """Ask the bank whether the user authorised this outgoing transfer (transaction
        password or equivalent confirmation)."""

    def deposit_instruct(self, *, deposit_id: int) -> None:
        """Carry out a deposit into the user's sub-account; the bank calls back."""

    def withdrawal_instruct(self, *, withdrawal_id: int) -> None:
        """Pay out of the user's sub-account to their bank card; the bank calls back."""

    def daily_statement(self, *, on: date) -> list[StatementLine]:
        """Every movement the bank booked on that day."""

    def sub_account_balance(self, *, external_id: str) -> Decimal:
        """The money the bank holds in this sub-account now, by its own books (raises
        LookupError for a sub-account it does not know, CustodianUnavailable when it does
        not answer)."""

    def callback_secret(self) -> bytes:
        """The shared secret its callbacks are signed with."""
