"""Repayment: the borrower pays a loan from their wallet (or the daily batch collects under
their standing authorisation); the money moves in one ledger entry to the repayment
clearing account, is allocated over the installments, and is distributed to the investors
after commit (lending.services.distributions)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.services.roles import ensure_customer
from core import money
from core.audit import SYSTEM, AuditContext, audit_record
from core.enqueue import enqueue_on_commit
from core.errors import IdempotencyKeyReused, NotFound
from custody import services as custody
from custody.models import LedgerAccount
from custody.selectors import wallet_balance
from lending import errors, servicing
from lending.business_date import business_date
from lending.models import (
    Installment,
    Loan,
    Repayment,
    RepaymentAuthorisation,
    RepaymentLine,
)
from lending.services.notifications import notice, notification_send

# A loan takes repayments while it is being repaid; after default (and after write-off),
# what the borrower pays is a recovery, distributed to the investors the same way.
RECOVERY_STATUSES = (Loan.Status.DEFAULTED, Loan.Status.WRITTEN_OFF)
REPAYABLE_STATUSES = (Loan.Status.REPAYING, *RECOVERY_STATUSES)
# The installments a repayment is allocated over: the unsettled ones, and on a written-off
# loan the written-off ones (what they still owe is what a recovery pays).
UNSETTLED_STATUSES = (*Installment.OPEN_STATUSES, Installment.Status.WRITTEN_OFF)


class Kind:
    DUE = "due"  # everything due on the business date
    ALL = "all"  # the early payoff: the loan closes
    CHOICES = (DUE, ALL)


@dataclass(frozen=True)
class Quote:
    """What a loan owes on a business date: due now, and the early-payoff amount."""

    as_of: date
    owed: tuple[servicing.Owed, ...]
    payoff: servicing.Payoff

    @property
    def due_amount(self) -> Decimal:
        return servicing.total_owed([o for o in self.owed if o.due_on <= self.as_of])

    @property
    def payoff_amount(self) -> Decimal:
        return self.payoff.total

    @property
    def outstanding_principal(self) -> Decimal:
        return sum((o.principal for o in self.owed), servicing.ZERO)


def repayment_quote(*, loan: Loan, installments, as_of: date) -> Quote:
    """The quote for `loan` from its open installments (ordered by number).

    The prepayment fee compensates investors for interest a borrower in good standing
    gives up by repaying early; a defaulted or written-off loan paying off is a recovery
    of what is owed, not a prepayment, and is charged none."""
    owed = tuple(
        servicing.owed_of(i)
        for i in installments
        if i.status in UNSETTLED_STATUSES and i.owed_amount > 0
    )
    return Quote(
        as_of=as_of,
        owed=owed,
        payoff=servicing.payoff(
            owed=owed,
            as_of=as_of,
            disbursed_on=loan.disbursed_on or as_of,
            prepayment_fee_rate=(
                loan.prepayment_fee_rate if loan.status == Loan.Status.REPAYING else servicing.ZERO
            ),
        ),
    )


def _locked_loan(loan_id: int) -> Loan:
    loan = Loan.objects.select_for_update(of=("self",)).filter(pk=loan_id).first()
    if loan is None:
        raise NotFound()
    return loan


def _open_installments(loan: Loan) -> list[Installment]:
    """The loan's unsettled installments, locked (after the loan: the lock order is loan,
    installments by id, then ledger accounts by id, for every servicing write)."""
    return list(
        Installment.objects.select_for_update()
        .filter(loan=loan, status__in=UNSETTLED_STATUSES)
        .order_by("id")
    )


def _amount_for(quote: Quote, *, amount: Decimal | None, kind: str | None) -> tuple[Decimal, bool]:
    """The amount to take and whether it pays the loan off; refuses what cannot be paid."""
    if (amount is None) == (kind is None) or (kind is not None and kind not in Kind.CHOICES):
        raise errors.RepaymentKindInvalid()
    if kind == Kind.ALL:
        return quote.payoff_amount, True
    if kind == Kind.DUE:
        if quote.due_amount <= 0:
            raise errors.NothingDue()
        return quote.due_amount, quote.due_amount == quote.payoff_amount
    if not isinstance(amount, Decimal) or not money.is_exact(amount) or amount <= 0:
        raise errors.LendingError(
            _("The amount must be positive, in whole cents."), code="amount_invalid"
        )
    if amount > quote.payoff_amount:
        raise errors.AmountAbovePayoff(
            _("Paying the loan off today takes %(payoff)s; the amount is more than that.")
            % {"payoff": f"{quote.payoff_amount:,.2f}"},
            payoff_amount=str(quote.payoff_amount),
        )
    return amount, amount == quote.payoff_amount


@transaction.atomic(durable=True)
def repayment_make(
    *,
    loan_id: int,
    borrower,
    idempotency_key: str,
    amount: Decimal | None = None,
    kind: str | None = None,
    source: str = Repayment.Source.BORROWER,
    context: AuditContext = SYSTEM,
) -> Repayment:
    """The borrower pays `amount` (or everything due, or the payoff) on their loan.

    Allocation (lending.servicing): oldest installment first; within it the late fee and
    penalty interest, then interest, then principal. An amount above the payoff is refused
    with `amount_above_payoff` and moves nothing. The payoff (kind "all", or an amount equal
    to it) pays what is due, the interest accrued to the business date, all principal and
    the product's prepayment fee; future installments are cancelled and the loan closes.

    One ledger entry moves the money from the borrower's available balance to the repayment
    clearing account; the same idempotency key returns the first repayment. Locks: the
    loan, its installments by id, then the accounts by id (custody.ledger_post).
    """
    ensure_customer(borrower)
    loan = _locked_loan(loan_id)
    if loan.borrower_id != borrower.pk:
        raise NotFound()
    existing = Repayment.objects.filter(loan=loan, idempotency_key=idempotency_key).first()
    if existing is not None:
        # The same instruction again returns the first repayment; another amount under the
        # same key is refused (a kind is answered by the amount it came to the first time).
        if amount is not None and amount != existing.amount:
            raise IdempotencyKeyReused()
        return existing
    if loan.status not in REPAYABLE_STATUSES:
        raise errors.LoanNotRepaying()
    as_of = business_date()
    installments = _open_installments(loan)
    quote = repayment_quote(loan=loan, installments=installments, as_of=as_of)
    take, is_payoff = _amount_for(quote, amount=amount, kind=kind)
    return _repay(
        loan=loan,
        installments=installments,
        quote=quote,
        amount=take,
        is_payoff=is_payoff,
        source=Repayment.Source.RECOVERY if loan.status in RECOVERY_STATUSES else source,
        idempotency_key=idempotency_key,
        actor=borrower,
        context=context,
    )


def _repay(
    *,
    loan: Loan,
    installments: list[Installment],
    quote: Quote,
    amount: Decimal,
    is_payoff: bool,
    source: str,
    idempotency_key: str,
    actor,
    context: AuditContext,
) -> Repayment:
    """Move the money, settle the installments, record the repayment; in the caller's
    transaction, with the loan and `installments` locked."""
    as_of = quote.as_of
    by_id = {i.pk: i for i in installments}
    owed = quote.payoff.owed if is_payoff else quote.owed
    if is_payoff:
        # The current period owes only its accrued interest, later ones none: what is
        # charged becomes what the payoff asks, so paid never exceeds charged.
        for line in quote.payoff.owed:
            installment = by_id[line.installment_id]
            installment.interest_amount = installment.paid_interest_amount + line.interest
    prepayment_fee = quote.payoff.prepayment_fee if is_payoff else servicing.ZERO
    to_installments = amount - prepayment_fee
    paid = servicing.allocate_repayment(to_installments, owed) if to_installments else []
    totals = servicing.components(paid)
    available_id, _ = custody.user_account_ids(loan.borrower_id)
    entry = custody.ledger_post(
        idempotency_key=f"lending.repayment:{loan.pk}:{idempotency_key}",
        kind="repayment",
        memo=f"Repayment of {loan.reference}",
        legs=[
            custody.Leg(available_id, -amount),
            custody.Leg(custody.platform_account_id(LedgerAccount.Kind.REPAYMENT_CLEARING), amount),
        ],
    )
    repayment = Repayment.objects.create(
        loan=loan,
        borrower_id=loan.borrower_id,
        source=source,
        amount=amount,
        late_fee_amount=totals["late_fee"],
        penalty_amount=totals["penalty"],
        interest_amount=totals["interest"],
        principal_amount=totals["principal"],
        prepayment_fee_amount=prepayment_fee,
        is_payoff=is_payoff,
        currency=loan.currency,
        paid_on=as_of,
        idempotency_key=idempotency_key,
        entry_id=entry.pk,
    )
    RepaymentLine.objects.bulk_create(
        RepaymentLine(
            repayment=repayment,
            installment_id=p.installment_id,
            late_fee_amount=p.late_fee,
            penalty_amount=p.penalty,
            interest_amount=p.interest,
            principal_amount=p.principal,
        )
        for p in paid
    )
    _settle_installments(by_id, paid, as_of=as_of, is_payoff=is_payoff)
    if all(i.owed_amount == 0 for i in installments):
        loan.status = Loan.Status.CLOSED
        loan.closed_at = timezone.now()
        loan.days_past_due = 0
        loan.delinquency_bucket = Loan._meta.get_field("delinquency_bucket").default
        loan.status_reason = (
            "Recovered in full"
            if source == Repayment.Source.RECOVERY
            else "Paid off early"
            if is_payoff
            else "Repaid in full"
        )
        loan.save(
            update_fields=[
                "status",
                "closed_at",
                "days_past_due",
                "delinquency_bucket",
                "status_reason",
            ]
        )
        RepaymentAuthorisation.objects.filter(loan=loan, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    audit_record(
        action="lending.repayment_made",
        subject_type="loan",
        subject_id=loan.pk,
        actor=actor,
        after={
            "repayment": repayment.pk,
            "amount": str(amount),
            "source": source,
            "payoff": is_payoff,
            "loan_status": loan.status,
        },
        context=context,
    )
    notification_send(
        user=loan.borrower,
        kind="repayment_received",
        title=notice(
            gettext_lazy("We received %(amount)s for loan %(loan)s"),
            amount=money.display(amount, loan.currency),
            loan=loan.reference,
        ),
        body=notice(
            gettext_lazy("Your loan is now closed. Thank you.")
            if loan.status == Loan.Status.CLOSED
            else gettext_lazy("Thank you. Your schedule shows what is paid and what is next.")
        ),
        subject_type="loan",
        subject_id=loan.pk,
    )
    enqueue_on_commit("lending.repayment_distribute", repayment.pk)
    return repayment


def _settle_installments(
    by_id: dict[int, Installment], paid: list[servicing.Paid], *, as_of: date, is_payoff: bool
) -> None:
    """Add what each installment received; one fully paid becomes paid (or paid late when
    it was overdue); on a payoff the installments not yet due are cancelled."""
    received = {p.installment_id: p for p in paid}
    changed = []
    for installment in by_id.values():
        part = received.get(installment.pk)
        if part is not None:
            installment.paid_late_fee_amount += part.late_fee
            installment.paid_penalty_amount += part.penalty
            installment.paid_interest_amount += part.interest
            installment.paid_principal_amount += part.principal
        if installment.owed_amount == 0 and installment.status in UNSETTLED_STATUSES:
            if installment.status in (Installment.Status.OVERDUE, Installment.Status.WRITTEN_OFF):
                installment.status = Installment.Status.PAID_LATE
            elif is_payoff and installment.due_on > as_of:
                installment.status = Installment.Status.CANCELLED
            else:
                installment.status = Installment.Status.PAID
            installment.paid_on = as_of
        if part is not None or installment.owed_amount == 0:
            changed.append(installment)
    Installment.objects.bulk_update(
        changed,
        [
            "interest_amount",
            "paid_late_fee_amount",
            "paid_penalty_amount",
            "paid_interest_amount",
            "paid_principal_amount",
            "status",
            "paid_on",
        ],
    )


@transaction.atomic(durable=True)
def authorisation_grant(*, loan_id: int, borrower, context: AuditContext = SYSTEM):
    """The borrower authorises the custodian to debit each installment from their available
    balance on its due date. Granting again while one is active returns it."""
    ensure_customer(borrower)
    loan = _locked_loan(loan_id)
    if loan.borrower_id != borrower.pk:
        raise NotFound()
    if loan.status != Loan.Status.REPAYING:
        raise errors.LoanNotRepaying()
    active = RepaymentAuthorisation.objects.filter(loan=loan, revoked_at__isnull=True).first()
    if active is not None:
        return active
    authorisation = RepaymentAuthorisation.objects.create(
        loan=loan, borrower=borrower, granted_ip=context.ip_address or None
    )
    audit_record(
        action="lending.repayment_authorised",
        subject_type="loan",
        subject_id=loan.pk,
        actor=borrower,
        after={"authorisation": authorisation.pk},
        context=context,
    )
    return authorisation


@transaction.atomic(durable=True)
def authorisation_revoke(*, loan_id: int, borrower, context: AuditContext = SYSTEM) -> int:
    """The borrower withdraws the standing authorisation; returns how many were active."""
    ensure_customer(borrower)
    loan = _locked_loan(loan_id)
    if loan.borrower_id != borrower.pk:
        raise NotFound()
    revoked = RepaymentAuthorisation.objects.filter(loan=loan, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        audit_record(
            action="lending.repayment_authorisation_revoked",
            subject_type="loan",
            subject_id=loan.pk,
            actor=borrower,
            context=context,
        )
    return revoked


@transaction.atomic(durable=True)
def authorised_collect(*, loan_id: int, as_of: date) -> Repayment | None:
    """Collect what is due on `as_of` from a loan whose borrower authorised it (the daily
    batch's first servicing step): everything due when their available balance covers it,
    else nothing (a partial debit is not what they authorised). Idempotent per loan and
    date through the repayment's key."""
    loan = _locked_loan(loan_id)
    if loan.status != Loan.Status.REPAYING:
        return None
    if not RepaymentAuthorisation.objects.filter(loan=loan, revoked_at__isnull=True).exists():
        return None
    key = f"authorised:{as_of.isoformat()}"
    existing = Repayment.objects.filter(loan=loan, idempotency_key=key).first()
    if existing is not None:
        return existing
    installments = _open_installments(loan)
    quote = repayment_quote(loan=loan, installments=installments, as_of=as_of)
    due = quote.due_amount
    if due <= 0:
        return None
    if wallet_balance(user_id=loan.borrower_id).available < due:
        return None
    return _repay(
        loan=loan,
        installments=installments,
        quote=quote,
        amount=due,
        is_payoff=due == quote.payoff_amount,
        source=Repayment.Source.AUTHORISED,
        idempotency_key=key,
        actor=None,
        context=SYSTEM,
    )
