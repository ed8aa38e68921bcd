"""Hardship: a borrower asks for a payment holiday or a longer term, with a reason, after
seeing the new schedule; operations (or collections) approve it, which replaces the loan's
installments still to come with exactly that schedule in one transaction, or refuse it.

The schedule maths is lending.servicing.hardship_schedule (pure); this module reads the
loan, checks the cost-of-credit ceiling and writes. Lock order: the loan, its installments
by id, the request, then the audit chain.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy

from accounts.roles import Role
from accounts.services.roles import ensure_customer
from core.audit import SYSTEM, AuditContext, audit_record
from core.errors import NotFound
from lending import errors, servicing
from lending.business_date import business_date
from lending.models import HardshipRequest, Installment, Investment, Loan, LoanUpdate
from lending.schedules import ScheduleLine
from lending.services.applications import ensure_public_text
from lending.services.notifications import (
    Notice,
    notice,
    notification_send,
    notification_send_many,
)
from lending.terms import service_fee

# Operations decide hardship requests; collectors, who talk to the borrower, may too.
DECIDER_ROLES = (Role.OPERATIONS, Role.COLLECTIONS)
ZERO = Decimal("0.00")


def may_decide_hardship(user) -> bool:
    return bool(user and user.is_authenticated and any(user.has_role(r) for r in DECIDER_ROLES))


def ensure_hardship_decider(user) -> None:
    if not may_decide_hardship(user):
        raise errors.RoleRequired(_("Only operations or collections may decide hardship requests."))


@dataclass(frozen=True)
class Plan:
    """A hardship arrangement worked out on a date: the installments it replaces, the new
    ones, and the loan's whole cost of credit under it against the legal ceiling."""

    kind: str
    months: int
    replaced: tuple[Installment, ...]
    lines: tuple[ScheduleLine, ...]
    cost: Decimal
    ceiling: Decimal

    @property
    def within_ceiling(self) -> bool:
        return self.cost <= self.ceiling

    @property
    def current_total(self) -> Decimal:
        return sum((i.total_amount for i in self.replaced), ZERO)

    @property
    def new_total(self) -> Decimal:
        return sum((line.total_amount for line in self.lines), ZERO)

    @property
    def extra_interest(self) -> Decimal:
        return self.new_total - self.current_total

    def schedule_json(self) -> list[dict]:
        return schedule_json(self.lines)


def schedule_json(lines) -> list[dict]:
    return [
        {
            "number": line.number,
            "due_on": line.due_on.isoformat(),
            "principal_amount": str(line.principal_amount),
            "interest_amount": str(line.interest_amount),
        }
        for line in lines
    ]


def hardship_plan(*, loan: Loan, installments, kind: str, months, as_of: date) -> Plan:
    """The arrangement `kind` for `months` on `loan` as of `as_of`, from its installments
    (all of them, any status). Refuses a bad kind or months, a loan with nothing still to
    come, and an installment still to come that is partly paid already."""
    if kind not in servicing.Hardship.KINDS:
        raise errors.HardshipKindInvalid()
    if (
        not isinstance(months, int)
        or isinstance(months, bool)
        or not 1 <= months <= servicing.Hardship.MAX_MONTHS
    ):
        raise errors.HardshipMonthsInvalid()
    installments = sorted(installments, key=lambda i: i.number)
    future = [i for i in installments if i.status in Installment.OPEN_STATUSES and i.due_on > as_of]
    if not future:
        raise errors.HardshipNothingToReschedule()
    if any(i.paid_amount or i.late_fee_amount or i.penalty_amount for i in future):
        raise errors.HardshipInstallmentPartlyPaid()
    lines = servicing.hardship_schedule(
        kind=kind,
        months=months,
        future=[servicing.owed_of(i) for i in future],
        annual_rate=loan.annual_rate,
        method=loan.method,
        disbursed_on=loan.disbursed_on,
    )
    replaced = {i.pk for i in future}
    kept_charges = sum(
        (
            i.interest_amount + i.late_fee_amount + i.penalty_amount
            for i in installments
            if i.pk not in replaced
        ),
        service_fee(loan.amount, loan.service_fee_rate),
    )
    return Plan(
        kind=kind,
        months=months,
        replaced=tuple(future),
        lines=tuple(lines),
        cost=servicing.hardship_cost(kept_charges=kept_charges, new_lines=lines),
        ceiling=servicing.cost_ceiling(
            loan_amount=loan.amount,
            disbursed_on=loan.disbursed_on,
            as_of=lines[-1].due_on,
            ceiling_rate=settings.LENDING_COST_CEILING_RATE,
        ),
    )


def hardship_preview(*, loan: Loan, kind: str, months, as_of: date | None = None) -> Plan:
    """What the borrower sees before asking: the plan on the business date (read only)."""
    if loan.status != Loan.Status.REPAYING:
        raise errors.LoanNotRepaying()
    return hardship_plan(
        loan=loan,
        installments=list(loan.installments.all()),
        kind=kind,
        months=months,
        as_of=as_of or business_date(),
    )


def _locked_loan(loan_id: int) -> Loan:
    loan = Loan.objects.select_for_update(of=("self",)).filter(pk=loan_id).first()
    if loan is None:
        raise NotFound()
    return loan


def _locked_installments(loan: Loan) -> list[Installment]:
    return list(Installment.objects.select_for_update().filter(loan=loan).order_by("id"))


@transaction.atomic
def hardship_request_submit(
    *,
    loan_id: int,
    borrower,
    kind: str,
    months,
    reason: str,
    context: AuditContext = SYSTEM,
) -> HardshipRequest:
    """The borrower asks for a payment holiday or a longer term, with a reason, for a loan
    being repaid; the schedule they were shown (the plan on the business date) is stored
    with the request and is what an approval applies. One request waits per loan; a plan
    above the cost-of-credit ceiling is refused (`hardship_above_cost_ceiling`)."""
    ensure_customer(borrower)
    loan = _locked_loan(loan_id)
    if loan.borrower_id != borrower.pk:
        raise NotFound()
    if loan.status != Loan.Status.REPAYING:
        raise errors.LoanNotRepaying()
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason:
        raise errors.ReasonRequired(_("Tell us briefly why you need the change."))
    ensure_public_text("reason", reason, max_length=500, multiline=True)
    if HardshipRequest.objects.filter(loan=loan, status=HardshipRequest.Status.SUBMITTED).exists():
        raise errors.HardshipRequestOpen()
    as_of = business_date()
    plan = hardship_plan(
        loan=loan, installments=_locked_installments(loan), kind=kind, months=months, as_of=as_of
    )
    if not plan.within_ceiling:
        raise errors.HardshipAboveCostCeiling()
    request = HardshipRequest.objects.create(
        loan=loan,
        kind=kind,
        months=months,
        reason=reason,
        submitted_on=as_of,
        schedule=plan.schedule_json(),
    )
    audit_record(
        action="lending.hardship_requested",
        subject_type="loan",
        subject_id=loan.pk,
        actor=borrower,
        after={"request": request.pk, "kind": kind, "months": months},
        context=context,
    )
    notification_send(
        user=borrower,
        kind="hardship_requested",
        title=notice(
            gettext_lazy("We received your request for loan %(loan)s"), loan=loan.reference
        ),
        body=notice(
            gettext_lazy(
                "We will tell you when it has been decided. Until then your schedule is unchanged."
            )
        ),
        subject_type="loan",
        subject_id=loan.pk,
    )
    return request


def _words(request: HardshipRequest, lines) -> Notice:
    """The arrangement as investors read it (no reason, nothing about the borrower)."""
    if request.kind == HardshipRequest.Kind.PAYMENT_HOLIDAY:
        return notice(
            gettext_lazy(
                "The borrower asked for help and was granted a %(months)s-month payment "
                "holiday. Payments resume on %(resume_on)s; the interest for the holiday is "
                "spread over the remaining payments. Your expected payments on this page show "
                "the new schedule."
            ),
            months=request.months,
            resume_on=f"{lines[0].due_on:%Y-%m-%d}",
        )
    return notice(
        ngettext_lazy(
            "The borrower asked for help and the loan's term was extended by %(months)s "
            "month: the remaining principal is now repaid in smaller payments until "
            "%(last_on)s. Your expected payments on this page show the new schedule.",
            "The borrower asked for help and the loan's term was extended by %(months)s "
            "months: the remaining principal is now repaid in smaller payments until "
            "%(last_on)s. Your expected payments on this page show the new schedule.",
            "months",
        ),
        months=request.months,
        last_on=f"{lines[-1].due_on:%Y-%m-%d}",
    )


@transaction.atomic
def hardship_request_decide(
    *,
    request_id: int,
    decider,
    decision: str,
    reason: str = "",
    context: AuditContext = SYSTEM,
) -> HardshipRequest:
    """Operations approve or refuse a hardship request. A refusal needs a reason (the
    borrower reads it). An approval replaces the loan's installments still to come with the
    schedule the borrower was shown, in this one transaction: refused with
    `hardship_schedule_changed` when the loan has moved since (an installment paid or fallen
    due, so the plan today differs), and with `hardship_above_cost_ceiling` when the loan's
    whole cost would pass the legal ceiling. Investors are told and see their new expected
    payments on the loan page."""
    ensure_hardship_decider(decider)
    if decision not in ("approve", "refuse"):
        raise errors.DecisionInvalid()
    reason = (reason or "").strip()
    found = HardshipRequest.objects.filter(pk=request_id).values_list("loan_id", flat=True).first()
    if found is None:
        raise NotFound()
    loan = _locked_loan(found)
    installments = _locked_installments(loan)
    request = HardshipRequest.objects.select_for_update().get(pk=request_id)
    if request.status != HardshipRequest.Status.SUBMITTED:
        raise errors.HardshipNotPending()
    if decision == "refuse":
        if not reason:
            raise errors.ReasonRequired()
        ensure_public_text("reason", reason, max_length=500, multiline=True)
        return _close(request, loan, decider, HardshipRequest.Status.REFUSED, reason, context)
    if loan.status != Loan.Status.REPAYING:
        raise errors.LoanNotRepaying()
    plan = hardship_plan(
        loan=loan,
        installments=installments,
        kind=request.kind,
        months=request.months,
        as_of=business_date(),
    )
    if plan.schedule_json() != request.schedule:
        raise errors.HardshipScheduleChanged()
    if not plan.within_ceiling:
        raise errors.HardshipAboveCostCeiling()
    before = schedule_json(
        ScheduleLine(i.number, i.due_on, i.principal_amount, i.interest_amount)
        for i in plan.replaced
    )
    _replace_installments(loan, list(plan.replaced), list(plan.lines))
    # A loan update is shared text, read by every holder: kept in the platform's language.
    with translation.override(settings.LANGUAGE_CODE):
        words = _words(request, plan.lines).render()
    LoanUpdate.objects.create(loan=loan, text=words, posted_on=business_date())
    investor_ids = (
        Investment.objects.filter(loan=loan, status=Investment.Status.ACTIVE)
        .values_list("investor_id", flat=True)
        .distinct()
    )
    notification_send_many(
        users=list(get_user_model().objects.filter(pk__in=investor_ids).order_by("pk")),
        kind="loan_rescheduled",
        title=notice(gettext_lazy("Loan %(loan)s has a new schedule"), loan=loan.reference),
        body=_words(request, plan.lines),
        subject_type="loan",
        subject_id=loan.pk,
    )
    return _close(
        request,
        loan,
        decider,
        HardshipRequest.Status.APPROVED,
        reason,
        context,
        before=before,
        after=plan.schedule_json(),
    )


def _replace_installments(loan: Loan, replaced: list[Installment], lines: list[ScheduleLine]):
    """The replaced installments take the new lines' dates and amounts in place (their ids,
    and so any reference to them, stay); a longer term adds the lines beyond them."""
    for installment, line in zip(replaced, lines, strict=False):
        installment.number = line.number
        installment.due_on = line.due_on
        installment.principal_amount = line.principal_amount
        installment.interest_amount = line.interest_amount
        installment.status = Installment.Status.SCHEDULED
    Installment.objects.bulk_update(
        replaced, ["number", "due_on", "principal_amount", "interest_amount", "status"]
    )
    Installment.objects.bulk_create(
        Installment(
            loan=loan,
            number=line.number,
            due_on=line.due_on,
            principal_amount=line.principal_amount,
            interest_amount=line.interest_amount,
        )
        for line in lines[len(replaced) :]
    )


def _close(request, loan, decider, status, reason, context, *, before=None, after=None):
    request.status = status
    request.decided_by = decider
    request.decision_reason = reason
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_by", "decision_reason", "decided_at"])
    audit_record(
        action=f"lending.hardship_{status}",
        subject_type="loan",
        subject_id=loan.pk,
        actor=decider,
        before={"schedule": before} if before is not None else None,
        after={"request": request.pk, "reason": reason, **({"schedule": after} if after else {})},
        context=context,
    )
    approved = status == HardshipRequest.Status.APPROVED
    notification_send(
        user=loan.borrower,
        kind=f"hardship_{status}",
        title=notice(
            gettext_lazy("Your request for loan %(loan)s was approved")
            if approved
            else gettext_lazy("Your request for loan %(loan)s was not approved"),
            loan=loan.reference,
        ),
        body=(
            notice(gettext_lazy("Your schedule now shows the new payments."))
            if approved
            else notice(
                gettext_lazy("The reason: %(reason)s Your schedule is unchanged."), reason=reason
            )
        ),
        subject_type="loan",
        subject_id=loan.pk,
    )
    return request
