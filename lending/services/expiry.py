"""Expiry: a loan that misses its funding deadline is cancelled and every reservation released."""

from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from core.audit import audit_record
from custody import services as custody
from lending.models import Investment, Loan
from lending.services.notifications import notice, notification_send, notification_send_many


@transaction.atomic(durable=True)
def loan_expire(*, loan_id: int, as_of: date) -> bool:
    """Cancel one open loan whose deadline is before `as_of`; idempotent. True if cancelled."""
    loan = Loan.objects.select_for_update().filter(pk=loan_id).first()
    if loan is None or loan.status != Loan.Status.OPEN or loan.is_open_for_investment(as_of):
        return False
    investments = list(
        Investment.objects.select_for_update()
        .filter(loan=loan, status=Investment.Status.RESERVED)
        .order_by("id")
    )
    for investment in investments:
        custody.funds_release(
            user_id=investment.investor_id,
            amount=investment.amount,
            idempotency_key=f"lending.investment_release:{investment.pk}",
            memo=f"Listing {loan.reference} expired",
        )
    Investment.objects.filter(pk__in=[i.pk for i in investments]).update(
        status=Investment.Status.RELEASED, cancelled_at=timezone.now()
    )
    before = {"status": loan.status, "funded_amount": str(loan.funded_amount)}
    loan.status = Loan.Status.CANCELLED
    loan.cancel_reason = Loan.CANCEL_REASON_EXPIRED
    loan.funded_amount = 0
    loan.save(update_fields=["status", "cancel_reason", "funded_amount"])
    audit_record(
        action="lending.loan_expired",
        subject_type="loan",
        subject_id=loan.pk,
        before=before,
        after={"status": loan.status, "as_of": as_of.isoformat()},
    )
    notification_send(
        user=loan.borrower,
        kind="loan_expired",
        title=notice(
            gettext_lazy("Loan %(loan)s expired: it was not fully funded by its deadline"),
            loan=loan.reference,
        ),
        body=notice(gettext_lazy("Nothing was paid out and you owe nothing. You may apply again.")),
        subject_type="loan",
        subject_id=loan.pk,
    )
    notification_send_many(
        users=get_user_model().objects.filter(pk__in={i.investor_id for i in investments}),
        kind="loan_expired",
        title=notice(
            gettext_lazy("Loan %(loan)s expired; your reservation is released"), loan=loan.reference
        ),
        subject_type="loan",
        subject_id=loan.pk,
    )
    return True


def loans_expire_due(*, as_of: date) -> int:
    """Expire every open loan past its deadline, one transaction per loan."""
    ids = Loan.objects.past_funding_deadline(as_of).values_list("pk", flat=True)
    return sum(loan_expire(loan_id=loan_id, as_of=as_of) for loan_id in list(ids))
