"""Investing: place an investment (reserving the investor's funds in custody) and cancel one
within the cooling-off window.

Lock order (platform-wide): the loan row first, then the investor's user row (limits), then
custody's accounts (custody locks them in id order), then the audit chain head last.
The loan's CHECK (funded_amount <= amount) backs the Python check: never overfunded.
"""

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from compliance.audit import audit_record
from config.errors import NotFound
from custody import services as custody
from lending import eligibility, errors
from lending.business_date import business_date
from lending.models import Investment, Loan
from lending.selectors import investor_held_amount
from lending.services.notifications import notification_send


def _replay(investor, idempotency_key: str, loan_id: int, amount: Decimal) -> Investment | None:
    """The investment an earlier request with this key made; a different body is refused."""
    existing = Investment.objects.filter(investor=investor, idempotency_key=idempotency_key).first()
    if existing is not None and (existing.loan_id != loan_id or existing.amount != amount):
        raise errors.IdempotencyKeyReused()
    return existing


def _ensure_investor_may_invest(
    *, investor, limits, loan: Loan, amount: Decimal, today, source: str
) -> None:
    product = loan.product
    if loan.status != Loan.Status.OPEN or today > loan.funding_deadline_on:
        raise errors.LoanNotOpen()
    if source == Investment.Source.MANUAL and loan.auto_invest_done_at is None:
        raise errors.LoanNotOpen("The loan opens to investors in a moment.")
    if loan.borrower_id == investor.pk:
        raise errors.OwnLoan()
    if not eligibility.grade_allowed(loan.grade, limits.max_grade):
        raise errors.GradeNotAllowed()
    if amount < product.min_investment_amount:
        raise errors.BelowMinimum(f"The minimum investment is {product.min_investment_amount}.")
    if amount % product.investment_step_amount != 0:
        raise errors.NotAStepMultiple(f"Invest in multiples of {product.investment_step_amount}.")
    if amount > loan.amount - loan.funded_amount:
        raise errors.ExceedsRemaining(f"The loan has {loan.amount - loan.funded_amount} left.")
    if investor_held_amount(investor.pk, loan_id=loan.pk) + amount > limits.per_loan_limit:
        raise errors.PerLoanLimitExceeded(f"Your limit per loan is {limits.per_loan_limit}.")
    if investor_held_amount(investor.pk) + amount > limits.total_limit:
        raise errors.TotalLimitExceeded(f"Your total limit is {limits.total_limit}.")


@transaction.atomic
def investment_place(
    *,
    investor,
    loan_id: int,
    amount: Decimal,
    idempotency_key: str,
    source: str = Investment.Source.MANUAL,
    request=None,
) -> Investment:
    """Invest `amount` in an open loan and reserve it in the investor's custody account.

    A replay with the same key returns the first investment. Refusals change nothing.
    When the last step is sold the loan becomes funded and everyone is notified.
    """
    existing = _replay(investor, idempotency_key, loan_id, amount)
    if existing is not None:
        return existing
    if not eligibility.identity_verified(investor):
        raise errors.IdentityNotVerified()
    limits = eligibility.investor_limits(investor)
    if limits is None:
        raise errors.InvestorProfileMissing()
    today = business_date()  # read before the loan lock: it keeps the locked section short
    # Lock only the loan row: a plain FOR UPDATE would also lock the joined product row
    # and serialise every loan of the product.
    loan = (
        Loan.objects.select_for_update(of=("self",))
        .select_related("product")
        .filter(pk=loan_id)
        .first()
    )
    if loan is None:
        raise NotFound()
    # Serialises one investor's requests across loans, so limits hold under concurrency.
    get_user_model().objects.select_for_update().filter(pk=investor.pk).values("pk").first()
    # A duplicate that was in flight has committed by the time its twin holds the locks.
    existing = _replay(investor, idempotency_key, loan_id, amount)
    if existing is not None:
        return existing
    _ensure_investor_may_invest(
        investor=investor, limits=limits, loan=loan, amount=amount, today=today, source=source
    )
    # No race on the key is left: the investor's row lock serialises their requests, and the
    # replay check above ran under it. The unique constraint stays as the last word.
    investment = Investment.objects.create(
        loan=loan,
        investor=investor,
        amount=amount,
        currency=loan.currency,
        source=source,
        idempotency_key=idempotency_key,
    )
    custody.funds_reserve(
        user_id=investor.pk,
        amount=amount,
        idempotency_key=f"lending.investment:{investment.pk}",
        memo=f"Investment in {loan.reference}",
    )
    funded = loan.funded_amount + amount == loan.amount
    Loan.objects.filter(pk=loan.pk).update(
        funded_amount=F("funded_amount") + amount,
        **({"status": Loan.Status.FUNDED, "funded_at": timezone.now()} if funded else {}),
    )
    audit_record(
        action="lending.investment_placed",
        subject_type="investment",
        subject_id=investment.pk,
        actor=investor,
        after={"loan": loan.reference, "amount": str(amount), "source": source},
        request=request,
    )
    if funded:
        loan.refresh_from_db()
        _notify_funded(loan)
    return investment


def _notify_funded(loan: Loan) -> None:
    notification_send(
        user=loan.borrower,
        kind="loan_funded",
        title=f"Your loan {loan.reference} is fully funded",
        body="It will be paid out once operations complete the disbursement.",
        subject_type="loan",
        subject_id=loan.pk,
    )
    investors = (
        get_user_model()
        .objects.filter(investments__loan=loan, investments__status=Investment.Status.RESERVED)
        .distinct()
    )
    for investor in investors:
        notification_send(
            user=investor,
            kind="loan_funded",
            title=f"Loan {loan.reference} is fully funded",
            body="Your reservation will be lent when the loan is disbursed.",
            subject_type="loan",
            subject_id=loan.pk,
        )


@transaction.atomic
def investment_cancel(*, investor, investment_id: int, request=None) -> Investment:
    """Cancel a reservation while the loan is open and within the product's cooling-off
    window; the funds return to the investor's available balance."""
    loan_id = (
        Investment.objects.filter(pk=investment_id, investor=investor)
        .values_list("loan_id", flat=True)
        .first()
    )
    if loan_id is None:
        raise NotFound()
    loan = Loan.objects.select_for_update(of=("self",)).select_related("product").get(pk=loan_id)
    investment = Investment.objects.select_for_update().get(pk=investment_id)
    if investment.status != Investment.Status.RESERVED or loan.status != Loan.Status.OPEN:
        raise errors.InvestmentNotCancellable()
    window = timedelta(hours=loan.product.cooling_off_hours)
    if timezone.now() > investment.created_at + window:
        raise errors.CoolingOffOver()
    custody.funds_release(
        user_id=investor.pk,
        amount=investment.amount,
        idempotency_key=f"lending.investment_cancel:{investment.pk}",
        memo=f"Cancelled investment in {loan.reference}",
    )
    Loan.objects.filter(pk=loan.pk).update(funded_amount=F("funded_amount") - investment.amount)
    investment.status = Investment.Status.CANCELLED
    investment.cancelled_at = timezone.now()
    investment.save(update_fields=["status", "cancelled_at"])
    audit_record(
        action="lending.investment_cancelled",
        subject_type="investment",
        subject_id=investment.pk,
        actor=investor,
        before={"status": Investment.Status.RESERVED},
        after={"status": investment.status},
        request=request,
    )
    return investment
