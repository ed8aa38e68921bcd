"""Ledger accounts, journal entries and postings, deposits, withdrawals, callbacks,
reconciliation runs and breaks, and maker-checker adjustments."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.text import PublicText

MONEY = {"max_digits": 20, "decimal_places": 2}
# Staff notes other staff read: bounded, no control characters (core.text).
RESOLUTION_NOTE_LENGTH = 1000
ADJUSTMENT_REASON_LENGTH = 1000


def _platform_currency() -> str:
    return settings.PLATFORM_CURRENCY


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete a row of the ledger."""


class LedgerAccount(models.Model):
    """One account of the ledger, with its cached balance.

    User accounts (`owner` set) mirror the user's sub-account at the custodian and may
    never go below zero (a database CHECK). Platform accounts (`owner` empty) may: the
    `custodian` account is the outside world, so the sum of every balance is zero.
    The balance changes only inside `ledger_post`, under a row lock.
    """

    class Kind(models.TextChoices):
        AVAILABLE = "available", _("Available")
        RESERVED = "reserved", _("Reserved")
        CUSTODIAN = "custodian", _("Custodian bank (outside world)")
        FEE_INCOME = "fee_income", _("Platform fee income")
        ADJUSTMENT = "adjustment", _("Manual adjustments (suspense)")
        LOAN_RECEIVABLE = "loan_receivable", _("Loans receivable (pass-through)")
        # Repayments between the borrower's payment and their distribution to investors.
        REPAYMENT_CLEARING = "repayment_clearing", _("Repayments awaiting distribution")
        # The platform's spending on promotion (referral rewards): an expense account, so its
        # balance runs below zero by what was paid out, as fee income runs above it.
        MARKETING_BUDGET = "marketing_budget", _("Marketing budget (promotion rewards)")

    USER_KINDS = (Kind.AVAILABLE, Kind.RESERVED)

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_accounts",
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    currency = models.CharField(max_length=3, default=_platform_currency)
    balance_amount = models.DecimalField(**MONEY, default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "kind"],
                condition=Q(owner__isnull=False),
                name="custody_account_one_per_owner_kind",
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(owner__isnull=True),
                name="custody_account_one_platform_kind",
            ),
            models.CheckConstraint(
                condition=Q(owner__isnull=True) | Q(balance_amount__gte=0),
                name="custody_account_user_balance_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(
                    owner__isnull=True,
                    kind__in=[
                        "custodian",
                        "fee_income",
                        "adjustment",
                        "loan_receivable",
                        "repayment_clearing",
                        "marketing_budget",
                    ],
                )
                | Q(owner__isnull=False, kind__in=["available", "reserved"]),
                name="custody_account_kind_matches_owner",
            ),
        ]

    def __str__(self) -> str:
        who = f"user {self.owner_id}" if self.owner_id else "platform"
        return f"{who} {self.kind} ({self.currency} {self.balance_amount})"


class JournalEntry(models.Model):
    """One balanced movement of money: postings that sum to zero, posted all or nothing.

    `idempotency_key` is chosen by the caller (TigerBeetle's client-chosen ids): posting
    the same key again with the same content returns this entry; with different content
    it is refused. `content_hash` covers kind and postings; `reverses` is compared beside
    it. A reversal cannot itself be reversed.
    """

    # Unique and indexed through Meta, not `unique=True`/`db_index=True`: on PostgreSQL those
    # add a second, LIKE-pattern index to every text column, which no query here uses and
    # every posting would maintain.
    idempotency_key = models.CharField(max_length=200)
    kind = models.CharField(max_length=32)
    memo = models.CharField(max_length=255, blank=True)
    content_hash = models.CharField(max_length=64)
    currency = models.CharField(max_length=3, default=_platform_currency)
    # Indexed by the unique constraint below.
    reverses = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversals",
        db_index=False,
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name_plural = _("journal entries")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key"], name="custody_entry_idempotency_key_unique"
            ),
            # An entry is reversed at most once.
            models.UniqueConstraint(fields=["reverses"], name="custody_entry_reversed_once"),
        ]
        indexes = [models.Index(fields=["kind"], name="custody_entry_kind")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.idempotency_key}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Journal entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Journal entries are append-only.")


class Posting(models.Model):
    """One leg of an entry: a signed amount on one account. Never updated or deleted."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="postings")
    # Indexed by (account, -id) below, which serves every lookup by account.
    account = models.ForeignKey(
        LedgerAccount, on_delete=models.PROTECT, related_name="postings", db_index=False
    )
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, default=_platform_currency)
    # Copied from the entry so an account's history is one index range scan.
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["account", "-id"], name="custody_posting_account_id")]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="custody_posting_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Postings are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Postings are append-only.")


class SubAccount(models.Model):
    """The user's own sub-account at the custodian bank, where their money really sits."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="custodian_sub_accounts"
    )
    custodian = models.CharField(max_length=32)
    external_id = models.CharField(max_length=64)
    opened_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "custodian"], name="custody_subaccount_once"),
            models.UniqueConstraint(
                fields=["custodian", "external_id"], name="custody_subaccount_external_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.custodian}:{self.external_id}"


class Movement(models.Model):
    """Fields shared by deposits and withdrawals: a request to the custodian and its result."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, default=_platform_currency)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # The reference the custodian echoes back in its callback and statement.
    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The client's key for this request: a page form's token, or "api:" and the API's
    # Idempotency-Key (up to 255 characters).
    request_key = models.CharField(max_length=260)
    custodian = models.CharField(max_length=32, default="sandbox")
    custodian_ref = models.CharField(max_length=64, blank=True)
    failure_reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # When custodian_process was last enqueued for it: at the request, then at each resend.
    # The resend sweep leaves a movement enqueued moments ago to the message already queued.
    enqueued_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_on = models.DateField(null=True, blank=True, db_index=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.__class__.__name__} {self.reference} {self.amount} {self.status}"


def _pending_index(name: str) -> models.Index:
    """The resend sweep's index: pending rows only, by their last enqueue, so a sweep reads
    a handful of entries however many settled movements the table holds."""
    return models.Index(
        fields=["enqueued_at"], condition=Q(status=Movement.Status.PENDING), name=name
    )


class Deposit(Movement):
    class Meta:
        indexes = [_pending_index("custody_deposit_pending")]
        constraints = [
            models.UniqueConstraint(fields=["user", "request_key"], name="custody_deposit_key"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="custody_deposit_positive"),
        ]


class Withdrawal(Movement):
    class Meta:
        indexes = [_pending_index("custody_withdrawal_pending")]
        constraints = [
            models.UniqueConstraint(fields=["user", "request_key"], name="custody_withdrawal_key"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="custody_withdrawal_positive"),
        ]


class CallbackNonce(models.Model):
    """A callback nonce already seen: the unique constraint refuses a replay."""

    custodian = models.CharField(max_length=32)
    nonce = models.CharField(max_length=64)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["custodian", "nonce"], name="custody_nonce_once"),
        ]

    def __str__(self) -> str:
        return f"{self.custodian}:{self.nonce}"


class SandboxBankTransaction(models.Model):
    """The sandbox custodian's own book: what the bank says happened (its statement)."""

    class Kind(models.TextChoices):
        DEPOSIT = "deposit", _("Deposit")
        WITHDRAWAL = "withdrawal", _("Withdrawal")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    reference = models.UUIDField()
    external_id = models.CharField(max_length=64, unique=True)
    amount = models.DecimalField(**MONEY)
    succeeded = models.BooleanField()
    booked_on = models.DateField(db_index=True)
    booked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "reference"], name="custody_sandbox_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference} {self.amount}"


class ReconciliationRun(models.Model):
    """One reconciliation: the ledger's internal proof and the statement comparison."""

    statement_on = models.DateField(db_index=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    accounts_checked = models.PositiveIntegerField(default=0)
    balance_mismatches = models.PositiveIntegerField(default=0)
    balances_sum_amount = models.DecimalField(**MONEY, default=0)
    statement_lines = models.PositiveIntegerField(default=0)
    # The statement date's breaks still open after this run (a rerun re-finds, not re-counts).
    breaks_found = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Reconciliation {self.statement_on} #{self.pk}"

    @property
    def is_clean(self) -> bool:
        return (
            self.balance_mismatches == 0 and self.balances_sum_amount == 0 and not self.breaks_found
        )


class ReconciliationBreak(models.Model):
    """A difference between the custodian's statement and the ledger, for ops to resolve."""

    class Kind(models.TextChoices):
        MISSING = "missing", _("Missing from statement")
        DUPLICATE = "duplicate", _("Duplicate on statement")
        AMOUNT_MISMATCH = "amount_mismatch", _("Amount mismatch")
        UNKNOWN = "unknown", _("Unknown to the ledger")
        TIMING = "timing", _("Booked on a different day")
        BALANCE = "balance", _("Cached balance differs from postings")
        STATUS_MISMATCH = "status_mismatch", _("Settled at the bank, not in the ledger")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")

    run = models.ForeignKey(ReconciliationRun, on_delete=models.PROTECT, related_name="breaks")
    statement_on = models.DateField()
    kind = models.CharField(max_length=24, choices=Kind.choices)
    reference = models.CharField(max_length=64)
    statement_amount = models.DecimalField(**MONEY, null=True, blank=True)
    ledger_amount = models.DecimalField(**MONEY, null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    resolution_note = models.TextField(
        blank=True, validators=[PublicText(RESOLUTION_NOTE_LENGTH, multiline=True)]
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["status", "-id"]
        constraints = [
            # A rerun of the same day does not open the same break twice.
            models.UniqueConstraint(
                fields=["statement_on", "kind", "reference"], name="custody_break_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference}"


class AdjustmentRequest(models.Model):
    """A manual correction under maker-checker: proposed by one staff member, approved by
    another with the approver role; nothing posts before approval, and an approved request
    is final (its entry is the record)."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="+")
    # Positive credits the account (from the adjustment suspense account); negative debits it.
    amount = models.DecimalField(**MONEY)
    # Read by the approver who decides it, and kept in the audit trail (core.text).
    reason = models.TextField(validators=[PublicText(ADJUSTMENT_REASON_LENGTH, multiline=True)])
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    entry = models.OneToOneField(
        JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="custody_adjustment_not_zero"),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("proposed_by")),
                name="custody_adjustment_four_eyes",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(entry__isnull=False),
                name="custody_adjustment_approved_has_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"Adjustment #{self.pk} {self.amount} {self.status}"
