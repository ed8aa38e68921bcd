"""Reads of custody: wallet balances, a user's postings, and the ledger's own proof."""

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import Count, DecimalField, F, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.money import CENT
from custody.adapters import CustodianUnavailable, custodian_adapter
from custody.models import (
    Deposit,
    LedgerAccount,
    Posting,
    ReconciliationRun,
    SubAccount,
    Withdrawal,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WalletBalance:
    available: Decimal
    reserved: Decimal
    currency: str

    @property
    def total(self) -> Decimal:
        return self.available + self.reserved


def wallet_balance(*, user_id: int) -> WalletBalance:
    """The user's available and reserved money (zero before their accounts exist)."""
    rows = dict(
        LedgerAccount.objects.filter(
            owner_id=user_id, kind__in=LedgerAccount.USER_KINDS
        ).values_list("kind", "balance_amount")
    )
    zero = Decimal("0.00")
    return WalletBalance(
        available=rows.get(LedgerAccount.Kind.AVAILABLE, zero),
        reserved=rows.get(LedgerAccount.Kind.RESERVED, zero),
        currency=settings.PLATFORM_CURRENCY,
    )


@dataclass(frozen=True)
class CustodianCheck:
    """The user's money as the ledger holds it beside what the custodian bank reports for
    their own sub-account, with when the platform last reconciled the two."""

    ledger_total: Decimal
    # None: no sub-account yet (opened with the first deposit), or the bank did not answer.
    custodian_total: Decimal | None
    custodian_answered: bool
    reconciled_at: datetime | None
    # Deposits and withdrawals sent to the bank and not yet confirmed back: while any is
    # on its way the bank may show it before the ledger does.
    movements_in_flight: int

    @property
    def difference(self) -> Decimal | None:
        """The bank's figure less the ledger's, when the bank gave one."""
        if self.custodian_total is None:
            return None
        return self.custodian_total - self.ledger_total

    @property
    def differs(self) -> bool:
        return bool(self.difference)


def custodian_balance_check(*, user_id: int, ledger_total: Decimal) -> CustodianCheck:
    """Ask the custodian for the balance of the user's sub-account and set it beside the
    ledger's. A difference is logged for operations (who also see it at the daily
    reconciliation as a statement break) unless a movement is still on its way."""
    sub_account = SubAccount.objects.filter(user_id=user_id).order_by("id").first()
    custodian_total, answered = None, True
    if sub_account is not None:
        try:
            custodian_total = custodian_adapter(sub_account.custodian).sub_account_balance(
                external_id=sub_account.external_id
            )
        except (CustodianUnavailable, LookupError):
            answered = False
    differs = custodian_total is not None and custodian_total != ledger_total
    # Counted only when the figures differ: that is all it explains.
    in_flight = (
        sum(
            model.objects.filter(user_id=user_id, status=model.Status.PENDING).count()
            for model in (Deposit, Withdrawal)
        )
        if differs
        else 0
    )
    check = CustodianCheck(
        ledger_total=ledger_total,
        custodian_total=custodian_total,
        custodian_answered=answered,
        reconciled_at=ReconciliationRun.objects.filter(finished_at__isnull=False)
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first(),
        movements_in_flight=in_flight,
    )
    if check.differs and not in_flight:
        logger.warning(
            "custodian balance differs from the ledger",
            extra={
                "user_id": user_id,
                "sub_account": sub_account.external_id,
                "ledger_total": str(ledger_total),
                "custodian_total": str(custodian_total),
            },
        )
    return check


def wallet_posting_list(
    *, user_id: int, account: str = "", kind: str = "", date_from=None, date_to=None
) -> QuerySet[Posting]:
    """The user's own postings, newest first, with their entry (one query per page)."""
    postings = Posting.objects.filter(account__owner_id=user_id).select_related("entry", "account")
    if account:
        postings = postings.filter(account__kind=account)
    if kind:
        postings = postings.filter(entry__kind=kind)
    if date_from:
        postings = postings.filter(created_at__date__gte=date_from)
    if date_to:
        postings = postings.filter(created_at__date__lte=date_to)
    return postings.order_by("-id")


# The memos lending writes on the entries that move an investor's money, as people read
# them: (entry kind, memo pattern, wording for the payer or holder, wording for a payee).
# A memo no pattern knows is shown as written, translated when a catalogue has it (the apps
# above custody mark the memos they write with gettext_noop).
_MEMO_WORDING = (
    ("reserve", re.compile(r"Investing in (?P<ref>\S+)\Z"), _("Reserved for %(ref)s"), None),
    (
        "release",
        re.compile(r"Cancelled investment in (?P<ref>\S+)\Z"),
        _("Returned from %(ref)s (you cancelled)"),
        None,
    ),
    (
        "release",
        re.compile(r"Listing (?P<ref>\S+) expired\Z"),
        _("Returned from %(ref)s (listing expired)"),
        None,
    ),
    (
        "settle",
        re.compile(r"Disbursement of (?P<ref>\S+)\Z"),
        _("Lent to %(ref)s"),
        _("Loan %(ref)s paid out to you"),
    ),
)
_KIND_WORDING = {
    "deposit": _("Deposit from your bank card"),
    "withdrawal": _("Withdrawal paid to your bank card"),
    "adjustment": _("Correction by operations"),
    "reversal": _("Correction"),
}


def movement_description(kind: str, memo: str, total_change: Decimal) -> str:
    """One line saying what a journal entry did to the user's money (`total_change` > 0:
    they received it), without the movement UUIDs custody writes into its memos
    (custody.services.movements)."""
    if kind in _KIND_WORDING:
        return str(_KIND_WORDING[kind])
    if memo.startswith("Withdrawal "):
        return gettext("Reserved for a withdrawal")
    if memo.startswith("Failed withdrawal "):
        return gettext("Withdrawal failed: returned to available")
    for entry_kind, pattern, wording, payee_wording in _MEMO_WORDING:
        match = pattern.match(memo) if kind == entry_kind else None
        if match:
            chosen = payee_wording if payee_wording and total_change > 0 else wording
            return chosen % {"ref": match["ref"]}
    return gettext(memo) if memo else kind.replace("_", " ").capitalize()


@dataclass(frozen=True)
class WalletMovement:
    """One journal entry as its user sees it: one line, whatever legs it has on their
    accounts (a reservation is available -x and reserved +x: one line "Reserved for ...")."""

    entry_id: int
    created_at: object
    kind: str
    memo: str
    available_change: Decimal
    reserved_change: Decimal

    @property
    def total_change(self) -> Decimal:
        """What the movement added to (or took from) the user's money at the custodian."""
        return self.available_change + self.reserved_change

    @property
    def is_internal(self) -> bool:
        """Money moved between the user's available and reserved (held, not spent)."""
        return self.total_change == 0

    @property
    def amount(self) -> Decimal:
        """The line's amount: signed money in or out; for a hold or its release, how much
        moved between available and reserved (unsigned)."""
        return abs(self.reserved_change) if self.is_internal else self.total_change

    @property
    def description(self) -> str:
        return movement_description(self.kind, self.memo, self.total_change)


def wallet_movement_list(
    *, user_id: int, account: str = "", kind: str = "", date_from=None, date_to=None
) -> QuerySet:
    """The user's movements, newest first: one row per journal entry with its net change
    to their available and reserved accounts (one grouped query per page; wrap the page's
    rows with `WalletMovement(**row)`). `account` keeps the entries that touch it."""
    postings = Posting.objects.filter(account__owner_id=user_id)
    if kind:
        postings = postings.filter(entry__kind=kind)
    if date_from:
        postings = postings.filter(created_at__date__gte=date_from)
    if date_to:
        postings = postings.filter(created_at__date__lte=date_to)
    zero = Value(Decimal("0.00"), output_field=DecimalField(max_digits=20, decimal_places=2))
    rows = (
        postings.values("entry_id", kind=F("entry__kind"), memo=F("entry__memo"))
        .annotate(
            created_at=Min("created_at"),
            available_change=Coalesce(
                Sum("amount", filter=Q(account__kind=LedgerAccount.Kind.AVAILABLE)), zero
            ),
            reserved_change=Coalesce(
                Sum("amount", filter=Q(account__kind=LedgerAccount.Kind.RESERVED)), zero
            ),
        )
        .order_by("-entry_id")
    )
    if account:
        rows = rows.annotate(touches=Count("id", filter=Q(account__kind=account))).filter(
            touches__gt=0
        )
    return rows


def wallet_movements(rows) -> list[WalletMovement]:
    """The rows of `wallet_movement_list` (a page of them) as WalletMovements."""
    return [
        WalletMovement(
            entry_id=row["entry_id"],
            created_at=row["created_at"],
            kind=row["kind"],
            memo=row["memo"],
            available_change=row["available_change"],
            reserved_change=row["reserved_change"],
        )
        for row in rows
    ]


def deposit_list(*, user_id: int) -> QuerySet[Deposit]:
    return Deposit.objects.filter(user_id=user_id).order_by("-id")


def withdrawal_list(*, user_id: int) -> QuerySet[Withdrawal]:
    return Withdrawal.objects.filter(user_id=user_id).order_by("-id")


@dataclass(frozen=True)
class LedgerProof:
    """The ledger's internal proof: cached balances against their postings."""

    accounts_checked: int
    mismatches: list[tuple[int, Decimal, Decimal]]  # (account id, cached, sum of postings)
    balances_sum: Decimal
    # (entry id, sum of its postings) for every entry whose postings do not sum to zero.
    unbalanced_entries: list[tuple[int, Decimal]] = field(default_factory=list)

    @property
    def holds(self) -> bool:
        return not self.mismatches and self.balances_sum == 0 and not self.unbalanced_entries


def _proof_rows() -> list[tuple[int, Decimal, Decimal]]:
    """(account id, cached balance, sum of postings) for every account, in ONE statement.

    One statement reads one snapshot (PostgreSQL's statement snapshot under READ
    COMMITTED; SQLite's read transaction of an autocommit statement), so a posting that
    commits while the proof runs is either in both the balance and the sum or in neither.
    Two statements could see a balance without its posting and report a false break.

    PostgreSQL sums NUMERIC exactly. SQLite stores decimals as REAL, so there both sides
    are compared in whole cents (each value rounded to its cent first) as integers.
    """
    accounts = LedgerAccount._meta.db_table
    postings = Posting._meta.db_table
    if connection.vendor == "postgresql":
        balance, amount = "a.balance_amount", "amount"
    else:
        balance = "CAST(ROUND(a.balance_amount * 100) AS INTEGER)"
        amount = "CAST(ROUND(amount * 100) AS INTEGER)"
    sql = (
        f"SELECT a.id, {balance}, COALESCE(s.total, 0) FROM {accounts} AS a "  # noqa: S608
        f"LEFT JOIN (SELECT account_id, SUM({amount}) AS total FROM {postings} "
        "GROUP BY account_id) AS s ON s.account_id = a.id ORDER BY a.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        # Read every row now: SQLite steps a statement lazily, and a write on this same
        # connection between two fetches would show through half-way.
        rows = cursor.fetchall()
    if connection.vendor == "postgresql":
        return [(i, Decimal(cached), Decimal(posted)) for i, cached, posted in rows]
    return [(i, Decimal(cached) / 100, Decimal(posted) / 100) for i, cached, posted in rows]


def ledger_unbalanced_entries() -> list[tuple[int, Decimal]]:
    """(entry id, sum) of every entry whose postings do not sum to zero: one GROUP BY ...
    HAVING. An entry's postings commit together, so this needs no shared snapshot with
    the balances. SQLite sums whole cents, as in `_proof_rows`."""
    postings = Posting._meta.db_table
    amount = (
        "amount" if connection.vendor == "postgresql" else "CAST(ROUND(amount * 100) AS INTEGER)"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT entry_id, SUM({amount}) FROM {postings} "  # noqa: S608
            f"GROUP BY entry_id HAVING SUM({amount}) <> 0 ORDER BY entry_id"
        )
        rows = cursor.fetchall()
    if connection.vendor == "postgresql":
        return [(entry_id, Decimal(total)) for entry_id, total in rows]
    return [(entry_id, Decimal(total) / 100) for entry_id, total in rows]


def ledger_proof() -> LedgerProof:
    """Prove every cached balance equals the sum of its postings, all balances sum to 0,
    and every entry's postings sum to 0.

    Balances and posting sums come from one statement, so they describe the same moment;
    the comparison runs in Python on Decimals.
    """
    mismatches = []
    balances_sum = Decimal("0.00")
    checked = 0
    for account_id, balance, posted in _proof_rows():
        checked += 1
        balances_sum += balance
        if balance != posted:
            mismatches.append((account_id, balance, posted))
    return LedgerProof(
        accounts_checked=checked,
        mismatches=mismatches,
        balances_sum=balances_sum.quantize(CENT),
        unbalanced_entries=ledger_unbalanced_entries(),
    )
