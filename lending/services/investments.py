"""Investing: place an investment (reserving the investor's funds in custody) and cancel one
within the cooling-off window.

Lock order (platform-wide, never inverted): the investor's user row first, then the loan row,
then custody's accounts (custody locks them in id order), then the audit chain lock last.
Disbursement, expiry and cancellation start at the loan row and never lock a user row, so the
investor-first order here cannot close a cycle with them. Both rows take NO KEY UPDATE locks,
which do not block the KEY SHARE locks that inserts referencing them (investments,
notifications, audit events) take.

Placing keeps the hot loan row locked as briefly as possible: everything that depends only on
the investor (replay, identity, limits, holdings) and the loan's static facts (grade, product,
minimum and step, borrower) is checked before the loan lock, the loan read unlocked; the lock
is taken by one conditional UPDATE that re-checks status, deadline and the amount left on the
locked row. The loan's CHECK (funded_amount <= amount) backs it: never overfunded.
"""

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Exists, F
from django.utils import timezone

from compliance.audit import audit_record
from config.errors import NotFound
from custody import services as custody
from lending import eligibility, errors
from lending.business_date import business_date
from lending.models import Investment, Loan
from lending.selectors import investor_held_amounts
from lending.services.notifications import notification_send


def _replay(investor, idempotency_key: str, loan_id: int, amount: Decimal) -> Investment | None:
    """The investment an earlier request with this key made; a different body is refused."""
    existing = (
        Investment.objects.filter(investor=investor, idempotency_key=idempotency_key)
        .select_related("loan")
        .first()
    )
    if existing is not None and (existing.loan_id != loan_id or existing.amount != amount):
        raise errors.IdempotencyKeyReused()
    return existing


def _ensure_loan_open(loan: Loan, *, amount: Decimal, today) -> None:
    if loan.status != Loan.Status.OPEN or today > loan.funding_deadline_on:
        raise errors.LoanNotOpen()
    if amount > loan.amount - loan.funded_amount:
        raise errors.ExceedsRemaining(f"The loan has {loan.amount - loan.funded_amount} left.")


def _ensure_loan_suits(*, investor, limits, loan: Loan, amount: Decimal, today, source) -> None:
    """The rules on the loan's facts, read unlocked: the status and amount left are checked
    again on the locked row (`_loan_fund`); the rest never changes while a loan is open."""
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
    _ensure_loan_open(loan, amount=amount, today=today)


def _ensure_within_limits(*, investor, limits, loan_id: int, amount: Decimal) -> None:
    """Holdings only grow under the investor's row lock, so checked under it they hold."""
    in_loan, total = investor_held_amounts(investor.pk, loan_id=loan_id)
    if in_loan + amount > limits.per_loan_limit:
        raise errors.PerLoanLimitExceeded(f"Your limit per loan is {limits.per_loan_limit}.")
    if total + amount > limits.total_limit:
        raise errors.TotalLimitExceeded(f"Your total limit is {limits.total_limit}.")


def _loan_fund(loan: Loan, *, amount: Decimal, today) -> bool:
    """Lock the loan row and add `amount` to it if it is still open with that much left;
    mark it funded when this fills it. Updates `loan` in place; False when refused.

    On PostgreSQL one conditional UPDATE ... RETURNING takes the lock, re-checks on the
    latest row version and writes: one round trip inside the hot row's critical section.
    """
    now = timezone.now()
    if connection.vendor == "postgresql":
        table = Loan._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET funded_amount = funded_amount + %(amount)s, "  # noqa: S608
                "status = CASE WHEN funded_amount + %(amount)s = amount THEN %(funded)s "
                "ELSE status END, "
                "funded_at = CASE WHEN funded_amount + %(amount)s = amount THEN %(now)s "
                "ELSE funded_at END "
                "WHERE id = %(id)s AND status = %(open)s AND funding_deadline_on >= %(today)s "
                "AND funded_amount + %(amount)s <= amount "
                "RETURNING status, funded_amount, funded_at",
                {
                    "amount": amount,
                    "funded": Loan.Status.FUNDED,
                    "open": Loan.Status.OPEN,
                    "now": now,
                    "id": loan.pk,
                    "today": today,
                },
            )
            row = cursor.fetchone()
        if row is None:
            return False
        loan.status, loan.funded_amount, loan.funded_at = row
        return True
    # SQLite serialises writers (IMMEDIATE transactions) and stores decimals as REAL: check
    # the amounts in Python on the row read inside this transaction.
    current = (
        Loan.objects.select_for_update(no_key=True, of=("self",))
        .filter(pk=loan.pk)
        .values("status", "funding_deadline_on", "funded_amount", "amount")
        .first()
    )
    if (
        current["status"] != Loan.Status.OPEN
        or today > current["funding_deadline_on"]
        or current["funded_amount"] + amount > current["amount"]
    ):
        return False
    funded = current["funded_amount"] + amount == current["amount"]
    changes = {"status": Loan.Status.FUNDED, "funded_at": now} if funded else {}
    Loan.objects.filter(pk=loan.pk).update(funded_amount=F("funded_amount") + amount, **changes)
    loan.funded_amount = current["funded_amount"] + amount
    if funded:
        loan.status, loan.funded_at = Loan.Status.FUNDED, now
    return True


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
    # 1. No locks and no transaction: refuse early (a rush on a filled loan ends here). One
    # query reads the loan and whether this key was used before.
    loan = (
        Loan.objects.select_related("product")
        .annotate(
            replayed=Exists(
                Investment.objects.filter(investor=investor, idempotency_key=idempotency_key)
            )
        )
        .filter(pk=loan_id)
        .first()
    )
    if loan is None or loan.replayed:
        existing = _replay(investor, idempotency_key, loan_id, amount)
        if existing is not None:
            return existing
    if not eligibility.identity_verified(investor):
        raise errors.IdentityNotVerified()
    limits = eligibility.investor_limits(investor)
    if limits is None:
        raise errors.InvestorProfileMissing()
    if loan is None:
        raise NotFound()
    today = business_date()
    _ensure_loan_suits(
        investor=investor, limits=limits, loan=loan, amount=amount, today=today, source=source
    )
    # Not durable: auto-invest (lending.services.auto_invest) runs each rule's placement inside
    # its own durable transaction, so this block nests there and must not claim the top level.
    with transaction.atomic():
        return _place_locked(
            investor=investor,
            limits=limits,
            loan=loan,
            amount=amount,
            today=today,
            idempotency_key=idempotency_key,
            source=source,
            request=request,
        )


def _place_locked(
    *, investor, limits, loan: Loan, amount: Decimal, today, idempotency_key, source, request
) -> Investment:
    # 2. The investor's row lock: serialises one investor's requests across loans, so the
    # replay and limit checks below cannot race with the investor's other requests.
    get_user_model().objects.select_for_update(no_key=True).filter(pk=investor.pk).values(
        "pk"
    ).first()
    # A duplicate that was in flight has committed by the time its twin holds the lock.
    existing = _replay(investor, idempotency_key, loan.pk, amount)
    if existing is not None:
        return existing
    _ensure_within_limits(investor=investor, limits=limits, loan_id=loan.pk, amount=amount)
    # Inserted before the loan lock: the row is invisible to others until commit, and its
    # foreign-key KEY SHARE lock on the loan does not conflict with NO KEY UPDATE.
    investment = Investment.objects.create(
        loan=loan,
        investor=investor,
        amount=amount,
        currency=loan.currency,
        source=source,
        idempotency_key=idempotency_key,
    )
    # 3. The loan row lock, held to commit: only the writes from here on.
    if not _loan_fund(loan, amount=amount, today=today):
        # Refused on the locked row: say why from the latest state. A loan never reopens, so
        # if it reads open now it was open then, and the amount left was short.
        loan.refresh_from_db(fields=["status", "funded_amount", "amount"])
        _ensure_loan_open(loan, amount=amount, today=today)
        raise errors.ExceedsRemaining("The loan has less left than that.")
    custody.funds_reserve(
        user_id=investor.pk,
        amount=amount,
        idempotency_key=f"lending.investment:{investment.pk}",
        memo=f"Investment in {loan.reference}",
    )
    audit_record(
        action="lending.investment_placed",
        subject_type="investment",
        subject_id=investment.pk,
        actor=investor,
        after={"loan": loan.reference, "amount": str(amount), "source": source},
        request=request,
    )
    if loan.status == Loan.Status.FUNDED:
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


@transaction.atomic(durable=True)
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
