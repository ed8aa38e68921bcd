"""Reads of custody: wallet balances, a user's postings, and the ledger's own proof."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import BigIntegerField, F, QuerySet, Sum
from django.db.models.functions import Cast, Round

from custody.models import Deposit, LedgerAccount, Posting, Withdrawal


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

    @property
    def holds(self) -> bool:
        return not self.mismatches and self.balances_sum == 0


def _posting_sums() -> dict[int, Decimal]:
    """Sum of postings per account, exact on both backends.

    PostgreSQL sums NUMERIC exactly. SQLite stores decimals as REAL, so it sums whole
    cents (each posting rounded to its cent first) as integers instead of adding floats.
    """
    postings = Posting.objects.order_by().values("account_id")
    if connection.vendor == "postgresql":
        return dict(postings.annotate(total=Sum("amount")).values_list("account_id", "total"))
    cents = postings.annotate(
        cents=Sum(Cast(Round(F("amount") * 100), output_field=BigIntegerField()))
    ).values_list("account_id", "cents")
    return {account_id: Decimal(total) / 100 for account_id, total in cents}


def ledger_proof() -> LedgerProof:
    """Prove every cached balance equals the sum of its postings and all balances sum to 0.

    One GROUP BY over the postings and one scan of the accounts; the comparison runs in
    Python on Decimals so SQLite's REAL storage cannot produce a false difference.
    """
    sums = _posting_sums()
    mismatches = []
    balances_sum = Decimal("0.00")
    checked = 0
    for account_id, balance in (
        LedgerAccount.objects.order_by("id")
        .values_list("id", "balance_amount")
        .iterator(chunk_size=10000)
    ):
        checked += 1
        balances_sum += balance
        posted = sums.get(account_id) or Decimal("0.00")
        if balance != posted:
            mismatches.append((account_id, balance, posted))
    return LedgerProof(accounts_checked=checked, mismatches=mismatches, balances_sum=balances_sum)


def pending_movement_ids(*, older_than_minutes: int) -> list[tuple[str, int]]:
    """(kind, id) of deposits and withdrawals still pending after the given time."""
    from datetime import timedelta

    from django.utils import timezone

    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    return [
        (kind, pk)
        for kind, model in (("deposit", Deposit), ("withdrawal", Withdrawal))
        for pk in model.objects.filter(status=model.Status.PENDING, created_at__lt=cutoff)
        .order_by("id")
        .values_list("pk", flat=True)
    ]
