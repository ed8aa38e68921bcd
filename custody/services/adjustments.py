"""Manual adjustments under maker-checker: one staff member proposes, another with the
approver role approves, and only then does the ledger move."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role
from core import money
from core.audit import SYSTEM, AuditContext, audit_record
from core.text import public_text_refusal
from custody.errors import (
    ApproverRoleRequired,
    InvalidAmount,
    InvalidTransition,
    SameStaffMember,
    TextRefused,
)
from custody.models import ADJUSTMENT_REASON_LENGTH, AdjustmentRequest, LedgerAccount
from custody.services.ledger import Leg, ledger_post, platform_account_id


# Not durable: the admin's add view already wraps the save in a transaction.
@transaction.atomic
def adjustment_propose(
    *, actor, account_id: int, amount: Decimal, reason: str, context: AuditContext = SYSTEM
) -> AdjustmentRequest:
    """Record a proposed correction (maker). Nothing posts until a checker approves."""
    if not getattr(actor, "is_platform_staff", False):
        raise ApproverRoleRequired(_("Only staff may propose adjustments."), code="staff_required")
    if not isinstance(amount, Decimal) or not money.is_exact(amount) or amount == 0:
        raise InvalidAmount(_("An adjustment is a non-zero amount exact to the cent."))
    if not reason.strip():
        raise InvalidTransition(_("Give the reason for the adjustment."), code="reason_required")
    # The approver reads it before deciding.
    if refusal := public_text_refusal(
        reason.strip(), max_length=ADJUSTMENT_REASON_LENGTH, multiline=True
    ):
        raise TextRefused(refusal.message, code=refusal.code, field="reason")
    account = LedgerAccount.objects.get(pk=account_id)
    if account.kind == LedgerAccount.Kind.ADJUSTMENT:
        # It is the other leg of every adjustment: an entry against itself moves nothing.
        raise InvalidTransition(
            _("The adjustment suspense account cannot be adjusted."),
            code="adjustment_account_refused",
        )
    proposal = AdjustmentRequest.objects.create(
        account=account, amount=amount, reason=reason.strip(), proposed_by=actor
    )
    audit_record(
        action="custody.adjustment_proposed",
        subject_type="adjustment",
        subject_id=proposal.pk,
        actor=actor,
        after={"account_id": account.pk, "amount": str(amount), "reason": proposal.reason},
        context=context,
    )
    return proposal


def _decide(actor, proposal_id: int) -> AdjustmentRequest:
    proposal = AdjustmentRequest.objects.select_for_update().get(pk=proposal_id)
    if proposal.status != AdjustmentRequest.Status.PROPOSED:
        raise InvalidTransition(_("This adjustment was already decided and is final."))
    if not actor.has_role(Role.APPROVER):
        raise ApproverRoleRequired()
    if actor.pk == proposal.proposed_by_id:
        raise SameStaffMember()
    return proposal


@transaction.atomic(durable=True)
def adjustment_approve(
    *, actor, proposal_id: int, context: AuditContext = SYSTEM
) -> AdjustmentRequest:
    """Approve (checker) and post: the account against the adjustment suspense account.

    The user-balance floor still holds: a debit larger than the balance is refused.
    """
    proposal = _decide(actor, proposal_id)
    entry = ledger_post(
        idempotency_key=f"adjustment:{proposal.pk}",
        kind="adjustment",
        memo=f"Adjustment #{proposal.pk}: {proposal.reason}"[:255],
        legs=[
            Leg(proposal.account_id, proposal.amount),
            Leg(platform_account_id(LedgerAccount.Kind.ADJUSTMENT), -proposal.amount),
        ],
    )
    proposal.status = AdjustmentRequest.Status.APPROVED
    proposal.decided_by = actor
    proposal.decided_at = timezone.now()
    proposal.entry_id = entry.pk
    proposal.save(update_fields=["status", "decided_by", "decided_at", "entry"])
    audit_record(
        action="custody.adjustment_approved",
        subject_type="adjustment",
        subject_id=proposal.pk,
        actor=actor,
        before={"status": "proposed"},
        after={"status": "approved", "entry_id": entry.pk},
        context=context,
    )
    return proposal


@transaction.atomic(durable=True)
def adjustment_reject(
    *, actor, proposal_id: int, context: AuditContext = SYSTEM
) -> AdjustmentRequest:
    """Reject (checker): the proposal is closed and nothing posts."""
    proposal = _decide(actor, proposal_id)
    proposal.status = AdjustmentRequest.Status.REJECTED
    proposal.decided_by = actor
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(
        action="custody.adjustment_rejected",
        subject_type="adjustment",
        subject_id=proposal.pk,
        actor=actor,
        before={"status": "proposed"},
        after={"status": "rejected"},
        context=context,
    )
    return proposal
