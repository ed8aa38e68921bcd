"""Manual adjustments: maker-checker, nothing posts before approval, decisions are final."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from core.audit import AuditEvent
from custody.errors import (
    ApproverRoleRequired,
    InsufficientFunds,
    InvalidTransition,
    SameStaffMember,
    TextRefused,
)
from custody.models import AdjustmentRequest, JournalEntry
from custody.services import user_account_ids
from custody.services.adjustments import adjustment_approve, adjustment_propose, adjustment_reject
from tests.ledger import assert_ledger_holds, balance, fund

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(make_user):
    return make_user("compliance"), make_user("approver"), make_user("approver")


def _propose(maker, user, amount="5.00"):
    available, _ = user_account_ids(user.id)
    return adjustment_propose(
        actor=maker, account_id=available, amount=D(amount), reason="Bank fee refund"
    )


def test_nothing_posts_until_a_different_approver_approves(user, staff):
    maker, checker, _ = staff
    proposal = _propose(maker, user)
    assert balance(user) == (D("0.00"), D("0.00"))
    assert not JournalEntry.objects.filter(kind="adjustment").exists()
    adjustment_approve(actor=checker, proposal_id=proposal.pk)
    proposal.refresh_from_db()
    assert proposal.status == "approved" and proposal.entry_id
    assert balance(user) == (D("5.00"), D("0.00"))
    assert set(
        AuditEvent.objects.filter(subject_type="adjustment").values_list("action", flat=True)
    ) == {
        "custody.adjustment_proposed",
        "custody.adjustment_approved",
    }
    assert_ledger_holds()


def test_the_maker_cannot_approve_their_own_request(user, staff):
    _, approver, _ = staff
    proposal = _propose(approver, user)
    with pytest.raises(SameStaffMember):
        adjustment_approve(actor=approver, proposal_id=proposal.pk)
    assert balance(user) == (D("0.00"), D("0.00"))


def test_only_the_approver_role_approves(user, staff, make_user):
    maker, *_ = staff
    proposal = _propose(maker, user)
    with pytest.raises(ApproverRoleRequired):
        adjustment_approve(actor=make_user("reviewer"), proposal_id=proposal.pk)
    with pytest.raises(ApproverRoleRequired):
        adjustment_propose(actor=make_user("investor"), account_id=1, amount=D("1.00"), reason="x")


def test_decided_requests_are_final(user, staff):
    maker, checker, other = staff
    proposal = _propose(maker, user)
    adjustment_approve(actor=checker, proposal_id=proposal.pk)
    with pytest.raises(InvalidTransition):
        adjustment_approve(actor=other, proposal_id=proposal.pk)
    with pytest.raises(InvalidTransition):
        adjustment_reject(actor=other, proposal_id=proposal.pk)
    assert JournalEntry.objects.filter(kind="adjustment").count() == 1


@pytest.mark.postgres
def test_database_refuses_changing_an_approved_request(user, staff):
    maker, checker, _ = staff
    proposal = _propose(maker, user)
    adjustment_approve(actor=checker, proposal_id=proposal.pk)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE custody_adjustmentrequest SET amount = 500 WHERE id = %s", [proposal.pk]
        )
    assert AdjustmentRequest.objects.get().amount == D("5.00")


def test_rejected_requests_post_nothing(user, staff):
    maker, checker, _ = staff
    proposal = _propose(maker, user)
    adjustment_reject(actor=checker, proposal_id=proposal.pk)
    assert AdjustmentRequest.objects.get().status == "rejected"
    assert balance(user) == (D("0.00"), D("0.00"))


def test_a_debit_adjustment_cannot_take_a_user_below_zero(user, staff):
    maker, checker, _ = staff
    fund(user, "3.00")
    proposal = _propose(maker, user, "-3.01")
    with pytest.raises(InsufficientFunds):
        adjustment_approve(actor=checker, proposal_id=proposal.pk)
    assert AdjustmentRequest.objects.get().status == "proposed"
    assert balance(user) == (D("3.00"), D("0.00"))


def test_the_suspense_account_itself_cannot_be_adjusted(staff):
    from custody.models import LedgerAccount
    from custody.services import platform_account_id

    maker, _, _ = staff
    suspense = platform_account_id(LedgerAccount.Kind.ADJUSTMENT)
    with pytest.raises(InvalidTransition) as excinfo:
        adjustment_propose(actor=maker, account_id=suspense, amount=D("5.00"), reason="x")
    assert excinfo.value.code == "adjustment_account_refused"
    assert not AdjustmentRequest.objects.exists()


@pytest.mark.parametrize("reason", ["refund \u202e", "bell\x07", "x" * 1001])
def test_an_adjustment_reason_the_approver_reads_is_free_of_control_characters(user, staff, reason):
    maker, _, _ = staff
    available, _ = user_account_ids(user.id)
    with pytest.raises(TextRefused) as refused:
        adjustment_propose(actor=maker, account_id=available, amount=D("5.00"), reason=reason)
    assert refused.value.code in ("text_control_characters", "text_too_long")
    assert not AdjustmentRequest.objects.exists()
    proposal = adjustment_propose(
        actor=maker, account_id=available, amount=D("5.00"), reason="Bank fee refund\nticket 42"
    )
    assert proposal.reason == "Bank fee refund\nticket 42"
