"""Disbursement: pay a funded loan out to the borrower through custody, with maker-checker.

Operations (or an approver) start it (maker). Above LENDING_DISBURSEMENT_CHECKER_THRESHOLD
the maker cannot finish it: a different person holding the approver role (checker) must
approve. The loan row lock and the one-disbursement-per-loan constraint make two approvers
acting at once settle once.
"""

from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import money
from core.audit import SYSTEM, AuditContext, audit_record
from core.errors import NotFound
from custody import services as custody
from lending import errors
from lending.business_date import business_date
from lending.models import Disbursement, Installment, Investment, Loan
from lending.schedules import build_schedule
from lending.services.notifications import notice, notification_send, notification_send_many
from lending.signals import investments_lent_send_on_commit
from lending.terms import service_fee

# Ops start disbursements of funded loans day to day; an approver may start one too. Only
# an approver checks one, and never the person who started it.
MAKER_ROLES = ("operations", "approver")
CHECKER_ROLES = ("approver",)


def may_start_disbursement(user) -> bool:
    return any(user.has_role(role) for role in MAKER_ROLES)


def may_approve_disbursement(user) -> bool:
    return any(user.has_role(role) for role in CHECKER_ROLES)


def needs_second_approval(amount: Decimal) -> bool:
    """Maker-checker: above the threshold a different approver must approve."""
    return amount > settings.LENDING_DISBURSEMENT_CHECKER_THRESHOLD


def disbursement_summary(disbursement: Disbursement) -> str:
    """What happened to a disbursement and why, for the person who acted: whether a second
    approval is needed, with the amount and the threshold that decide it."""
    loan = disbursement.loan
    gross = money.display(disbursement.gross_amount, loan.currency)
    threshold = money.display(settings.LENDING_DISBURSEMENT_CHECKER_THRESHOLD, loan.currency)
    net = money.display(disbursement.net_amount, loan.currency)
    if disbursement.status == Disbursement.Status.PENDING_APPROVAL:
        return (
            f"{loan.reference}: disbursement started, waiting for a second approval: "
            f"{gross} is above the {threshold} maker-checker threshold, so an approver other "
            f"than {disbursement.requested_by} must approve it."
        )
    if disbursement.approved_by_id is not None:
        return (
            f"{loan.reference}: approved by {disbursement.approved_by} (second approval); "
            f"{net} paid to the borrower ({gross} less the service fee)."
        )
    return (
        f"{loan.reference}: disbursed, {net} paid to the borrower ({gross} less the service "
        f"fee). No second approval needed: {gross} is at or below the {threshold} threshold."
    )


def ensure_may_start_disbursement(user) -> None:
    if not may_start_disbursement(user):
        raise errors.RoleRequired(_("Only operations or a disbursement approver may start this."))


def ensure_approver(user) -> None:
    if not may_approve_disbursement(user):
        raise errors.RoleRequired(_("Only a disbursement approver may do this."))


def _locked_loan(loan_id: int) -> Loan:
    loan = (
        Loan.objects.select_for_update(of=("self",))
        .select_related("product", "borrower")
        .filter(pk=loan_id)
    ).first()
    if loan is None:
        raise NotFound()
    return loan


@transaction.atomic(durable=True)
def disbursement_start(*, loan_id: int, maker, context: AuditContext = SYSTEM) -> Disbursement:
    """The maker starts the disbursement of a funded loan; at or below the threshold it
    settles at once, above it waits for a second approver."""
    ensure_may_start_disbursement(maker)
    loan = _locked_loan(loan_id)
    if Disbursement.objects.filter(loan=loan).exists():
        raise errors.DisbursementAlreadyStarted()
    if loan.status != Loan.Status.FUNDED:
        raise errors.LoanNotFunded()
    fee = service_fee(loan.amount, loan.service_fee_rate)
    disbursement = Disbursement.objects.create(
        loan=loan,
        status=Disbursement.Status.PENDING_APPROVAL,
        requested_by=maker,
        gross_amount=loan.amount,
        fee_amount=fee,
        net_amount=loan.amount - fee,
    )
    audit_record(
        action="lending.disbursement_started",
        subject_type="loan",
        subject_id=loan.pk,
        actor=maker,
        after={"gross": str(loan.amount), "fee": str(fee)},
        context=context,
    )
    if not needs_second_approval(loan.amount):
        _settle(loan, disbursement, actor=maker, context=context)
    return disbursement


@transaction.atomic(durable=True)
def disbursement_approve(*, loan_id: int, checker, context: AuditContext = SYSTEM) -> Disbursement:
    """A second approver (never the maker) approves; the disbursement then settles."""
    ensure_approver(checker)
    loan = _locked_loan(loan_id)
    disbursement = Disbursement.objects.select_for_update().filter(loan=loan).first()
    if disbursement is None or disbursement.status != Disbursement.Status.PENDING_APPROVAL:
        raise errors.NoPendingDisbursement()
    if disbursement.requested_by_id == checker.pk:
        raise errors.SameApprover()
    disbursement.approved_by = checker
    _settle(loan, disbursement, actor=checker, context=context)
    return disbursement


def _settle(loan: Loan, disbursement: Disbursement, *, actor, context: AuditContext) -> None:
    """Move every reservation to the borrower less the service fee, in one ledger entry;
    create the schedule; the loan starts repaying."""
    investments = list(
        Investment.objects.select_for_update()
        .filter(loan=loan, status=Investment.Status.RESERVED)
        .order_by("id")
    )
    per_investor: dict[int, Decimal] = defaultdict(Decimal)
    for investment in investments:
        per_investor[investment.investor_id] += investment.amount
    legs = sorted(per_investor.items())
    if sum(amount for _, amount in legs) != loan.amount:
        raise errors.LoanNotFunded(_("The reservations do not add up to the loan amount."))
    custody.funds_settle(
        legs=legs,
        payee_user_id=loan.borrower_id,
        fee_amount=disbursement.fee_amount,
        idempotency_key=f"lending.disbursement:{loan.pk}",
        memo=f"Disbursement of {loan.reference}",
    )
    Investment.objects.filter(pk__in=[i.pk for i in investments]).update(
        status=Investment.Status.ACTIVE
    )
    investments_lent_send_on_commit(loan_id=loan.pk, investor_ids=per_investor)
    today = business_date()
    lines = build_schedule(
        amount=loan.amount,
        annual_rate=loan.annual_rate,
        term_months=loan.term_months,
        method=loan.method,
        start_on=today,
    )
    Installment.objects.bulk_create(
        Installment(
            loan=loan,
            number=line.number,
            due_on=line.due_on,
            principal_amount=line.principal_amount,
            interest_amount=line.interest_amount,
        )
        for line in lines
    )
    loan.status = Loan.Status.REPAYING
    loan.disbursed_on = today
    loan.save(update_fields=["status", "disbursed_on"])
    disbursement.status = Disbursement.Status.SETTLED
    disbursement.settled_at = timezone.now()
    disbursement.save(update_fields=["status", "approved_by", "settled_at"])
    audit_record(
        action="lending.loan_disbursed",
        subject_type="loan",
        subject_id=loan.pk,
        actor=actor,
        before={"status": Loan.Status.FUNDED},
        after={
            "status": loan.status,
            "net": str(disbursement.net_amount),
            "fee": str(disbursement.fee_amount),
            "maker": disbursement.requested_by_id,
            "checker": disbursement.approved_by_id,
        },
        context=context,
    )
    notification_send(
        user=loan.borrower,
        kind="loan_disbursed",
        title=notice(
            gettext_lazy("%(amount)s from loan %(loan)s is in your wallet"),
            amount=money.display(disbursement.net_amount, loan.currency),
            loan=loan.reference,
        ),
        body=notice(
            gettext_lazy("Your first installment is due on %(due_on)s."),
            due_on=str(lines[0].due_on),
        ),
        subject_type="loan",
        subject_id=loan.pk,
    )
    notification_send_many(
        users=get_user_model().objects.filter(pk__in=per_investor),
        kind="loan_disbursed",
        title=notice(
            gettext_lazy("Loan %(loan)s was disbursed; your investment is now active"),
            loan=loan.reference,
        ),
        subject_type="loan",
        subject_id=loan.pk,
    )
