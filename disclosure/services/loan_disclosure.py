"""Ongoing disclosure of a loan to its investors (2017 Disclosure Guidelines art. 11): how
its repayments stand, days and amount overdue, the collection notes in plain words and the
changes in the borrower's situation that collections or operations record. Holders only:
everyone else (anonymous, other investors, staff on customer pages) gets None."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Min, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from core.audit import SYSTEM, AuditContext, audit_record
from core.errors import DomainError, NotFound
from core.text import public_text_refusal
from disclosure import errors
from disclosure.models import SITUATION_TEXT_LENGTH, BorrowerSituationUpdate
from lending.business_date import business_date
from lending.models import Installment, Investment, Loan
from lending.selectors import loan_update_list
from lending.services.collections import ensure_no_borrower_pii

# Who holds a ticket: money reserved in the loan or lent to its borrower.
HOLDER_STATUSES = (Investment.Status.RESERVED, Investment.Status.ACTIVE)
RECORDER_ROLES = (Role.COLLECTIONS, Role.OPERATIONS)
ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=14, decimal_places=2)


@dataclass
class HolderDisclosure:
    """What a loan's investor is told about it beyond the public listing."""

    loan: Loan
    installments_total: int
    installments_paid: int
    installments_paid_late: int
    installments_overdue: int
    days_past_due: int
    overdue_amount: Decimal
    next_due_on: date | None
    collection_notes: list = field(default_factory=list)
    situation_updates: list = field(default_factory=list)

    @property
    def standing(self) -> str:
        """In plain words: how the loan stands."""
        if self.loan.status == Loan.Status.CLOSED:
            return str(_("Repaid in full"))
        if self.loan.status in (Loan.Status.DEFAULTED, Loan.Status.WRITTEN_OFF):
            return str(self.loan.get_status_display())
        if self.installments_total == 0:
            return str(_("Not yet repaying"))
        if self.installments_overdue:
            return str(_("Behind on repayments"))
        return str(_("Up to date"))


def is_holder(user, loan_id: int) -> bool:
    """Whether `user` holds a ticket in the loan (staff never do)."""
    if not (user and user.is_authenticated) or user.is_platform_staff:
        return False
    return Investment.objects.filter(
        investor=user, loan_id=loan_id, status__in=HOLDER_STATUSES
    ).exists()


def loan_holder_disclosure(user, loan: Loan) -> HolderDisclosure | None:
    """The holder-only disclosure of `loan` for `user`, or None when they hold no ticket.
    Four queries: the holding, the installments' tally, the notes, the situation updates."""
    if not is_holder(user, loan.pk):
        return None
    owed = ExpressionWrapper(
        F("principal_amount")
        + F("interest_amount")
        + F("late_fee_amount")
        + F("penalty_amount")
        - F("paid_principal_amount")
        - F("paid_interest_amount")
        - F("paid_late_fee_amount")
        - F("paid_penalty_amount"),
        output_field=MONEY,
    )
    overdue = Q(status=Installment.Status.OVERDUE)
    tally = Installment.objects.filter(loan=loan).aggregate(
        total=Count("id", filter=~Q(status=Installment.Status.CANCELLED)),
        paid=Count("id", filter=Q(status=Installment.Status.PAID)),
        paid_late=Count("id", filter=Q(status=Installment.Status.PAID_LATE)),
        overdue=Count("id", filter=overdue),
        overdue_amount=Coalesce(Sum(owed, filter=overdue), ZERO, output_field=MONEY),
        # The next installment still to fall due (an overdue one is counted above).
        next_due_on=Min(
            "due_on",
            filter=Q(status__in=(Installment.Status.SCHEDULED, Installment.Status.DUE)),
        ),
    )
    return HolderDisclosure(
        loan=loan,
        installments_total=tally["total"],
        installments_paid=tally["paid"],
        installments_paid_late=tally["paid_late"],
        installments_overdue=tally["overdue"],
        days_past_due=loan.days_past_due,
        overdue_amount=tally["overdue_amount"],
        next_due_on=tally["next_due_on"],
        collection_notes=list(loan_update_list(loan)[:20]),
        situation_updates=list(
            BorrowerSituationUpdate.objects.filter(loan=loan).order_by("-occurred_on", "-id")[:20]
        ),
    )


def may_record_situation(user) -> bool:
    return bool(user and user.is_authenticated and any(user.has_role(r) for r in RECORDER_ROLES))


def situation_text_refusal(text: str, loan: Loan) -> errors.SituationRefused | None:
    """Why `text` may not be shown to the loan's investors (empty, control characters, too
    long, or borrower PII as the collection notes refuse it), or None."""
    if not text:
        return errors.SituationRefused(
            _("Write what changed, in plain words."), code="text_required"
        )
    refusal = public_text_refusal(text, max_length=SITUATION_TEXT_LENGTH, multiline=True)
    if refusal is not None:
        return errors.SituationRefused(refusal.message, code=refusal.code)
    try:
        ensure_no_borrower_pii(text, loan)
    except DomainError as exc:
        return errors.SituationRefused(exc.message, code=exc.code)
    return None


@transaction.atomic
def borrower_situation_record(
    *, loan_id: int, occurred_on: date, text: str, actor, context: AuditContext = SYSTEM
) -> BorrowerSituationUpdate:
    """Collections or operations record a change in the borrower's situation, in plain
    words with no borrower PII, on a disbursed loan, dated no later than the business
    date; the loan's holders read it on the loan page and in the API."""
    if not may_record_situation(actor):
        raise errors.NoticeRoleRequired(
            _("Only collections or operations may record a borrower's situation.")
        )
    loan = Loan.objects.select_related("borrower").filter(pk=loan_id).first()
    if loan is None:
        raise NotFound()
    if loan.disbursed_on is None:
        raise errors.SituationRefused(
            _("The loan is not disbursed: it has no investors to tell yet."),
            code="loan_not_serviced",
        )
    if not isinstance(occurred_on, date) or occurred_on > business_date():
        raise errors.SituationRefused(
            _("Give the date it happened, no later than today."), code="date_invalid"
        )
    text = (text or "").strip().replace("\r\n", "\n")
    refusal = situation_text_refusal(text, loan)
    if refusal is not None:
        raise refusal
    update = BorrowerSituationUpdate.objects.create(
        loan=loan, occurred_on=occurred_on, text=text, recorded_by=actor
    )
    audit_record(
        action="disclosure.borrower_situation_recorded",
        subject_type="loan",
        subject_id=loan.pk,
        actor=actor,
        after={"occurred_on": occurred_on.isoformat(), "text": text},
        context=context,
    )
    return update
