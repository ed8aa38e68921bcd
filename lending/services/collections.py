"""Collections, default and write-off: the collections role works the case queue (assignment,
contacts, promises to pay, notes investors read); the daily batch settles promises whose
date has passed, defaults loans past the product's default days and writes off defaulted
loans past its write-off days (lending.services.batch calls the three `*(as_of)` steps).

Lock order, as everywhere in servicing: loans by id, then their installments, then the
audit chain last.
"""

import re
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import Role
from core import money
from core.audit import SYSTEM, AuditContext, audit_record, audit_record_many
from core.errors import NotFound
from lending import errors
from lending.business_date import business_date
from lending.models import (
    CollectionCase,
    CollectionContact,
    Installment,
    Investment,
    Loan,
    LoanUpdate,
    Notification,
    PromiseToPay,
    Repayment,
)
from lending.services.applications import ensure_public_text
from lending.services.notifications import notice, notification_send_each, notification_send_many

# Loans are defaulted and written off this many at a time: each chunk one transaction with
# a handful of set-based statements, whatever the size of the book.
CHUNK = 1000
# A promise to pay is for the near term; a longer arrangement is a hardship request.
PROMISE_MAX_DAYS = 90
ZERO = Decimal("0.00")


def may_collect(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role(Role.COLLECTIONS))


def ensure_collector(user) -> None:
    if not may_collect(user):
        raise errors.RoleRequired(_("Only the collections role may work collection cases."))


def _locked_case(case_id: int) -> CollectionCase:
    case = (
        CollectionCase.objects.select_for_update(of=("self",))
        .select_related("loan")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise NotFound()
    if case.status == CollectionCase.Status.CLOSED:
        raise errors.CaseClosed()
    return case


@transaction.atomic
def case_assign(*, case_id: int, assignee, actor, context: AuditContext = SYSTEM) -> CollectionCase:
    """A collector takes a case, or gives it to another collector (both hold the
    collections role); an open or promised case only."""
    ensure_collector(actor)
    if not may_collect(assignee):
        raise errors.AssigneeNotCollector()
    case = _locked_case(case_id)
    before = case.assigned_to_id
    case.assigned_to = assignee
    case.save(update_fields=["assigned_to"])
    audit_record(
        action="lending.collection_case_assigned",
        subject_type="collection_case",
        subject_id=case.pk,
        actor=actor,
        before={"assigned_to": before},
        after={"assigned_to": assignee.pk},
        context=context,
    )
    return case


@transaction.atomic
def contact_log(
    *, case_id: int, channel: str, outcome: str, actor, context: AuditContext = SYSTEM
) -> CollectionContact:
    """Log one attempt to reach the borrower: the channel and, in a line, what came of it
    (staff-only; never shown to investors)."""
    ensure_collector(actor)
    if channel not in CollectionContact.Channel.values:
        raise errors.ContactChannelInvalid()
    outcome = (outcome or "").strip()
    if not outcome:
        raise errors.LendingError(_("Say what came of the contact."), code="outcome_required")
    ensure_public_text("outcome", outcome, max_length=200)
    case = _locked_case(case_id)
    contact = CollectionContact.objects.create(
        case=case, collector=actor, channel=channel, outcome=outcome
    )
    audit_record(
        action="lending.collection_contact_logged",
        subject_type="collection_case",
        subject_id=case.pk,
        actor=actor,
        after={"contact": contact.pk, "channel": channel},
        context=context,
    )
    return contact


def _owed_on_loan(loan_id: int) -> Decimal:
    """Everything the loan's unsettled installments (written-off ones included) still owe."""
    sums = Installment.objects.filter(
        loan_id=loan_id,
        status__in=(*Installment.OPEN_STATUSES, Installment.Status.WRITTEN_OFF),
    ).aggregate(
        charged=Coalesce(
            Sum(
                F("principal_amount")
                + F("interest_amount")
                + F("late_fee_amount")
                + F("penalty_amount")
            ),
            ZERO,
        ),
        paid=Coalesce(
            Sum(
                F("paid_principal_amount")
                + F("paid_interest_amount")
                + F("paid_late_fee_amount")
                + F("paid_penalty_amount")
            ),
            ZERO,
        ),
    )
    return sums["charged"] - sums["paid"]


@transaction.atomic
def promise_record(
    *,
    case_id: int,
    amount: Decimal,
    promised_on: date,
    actor,
    context: AuditContext = SYSTEM,
) -> PromiseToPay:
    """The borrower promises to pay `amount` by `promised_on` (from today, within
    PROMISE_MAX_DAYS): the case shows the promise until the batch settles it the day after
    its date (promises_settle). One promise waits per case at a time."""
    ensure_collector(actor)
    case = _locked_case(case_id)
    if not isinstance(amount, Decimal) or not money.is_exact(amount) or amount <= 0:
        raise errors.PromiseAmountInvalid()
    if amount > _owed_on_loan(case.loan_id):
        raise errors.PromiseAmountInvalid()
    today = business_date()
    if not isinstance(promised_on, date) or not (
        today <= promised_on <= today + timedelta(days=PROMISE_MAX_DAYS)
    ):
        raise errors.PromiseDateInvalid()
    if case.promises.filter(status=PromiseToPay.Status.PENDING).exists():
        raise errors.PromisePending()
    promise = PromiseToPay.objects.create(
        case=case, amount=amount, promised_on=promised_on, recorded_by=actor
    )
    case.status = CollectionCase.Status.PROMISED
    case.save(update_fields=["status"])
    audit_record(
        action="lending.promise_recorded",
        subject_type="collection_case",
        subject_id=case.pk,
        actor=actor,
        after={"promise": promise.pk, "amount": str(amount), "promised_on": str(promised_on)},
        context=context,
    )
    return promise


@transaction.atomic
def promises_settle(*, as_of: date) -> dict:
    """Settle every pending promise whose date has passed (promised_on before `as_of`): kept
    when the loan's repayments recorded since the promise and paid by its date add up to the
    amount, else broken. Either way the case has no promise left: a promised case goes back
    to open (a broken promise reopens the case for the collectors; one kept leaves it open
    while the loan is still behind, and the delinquency step closes it once it is current).
    Idempotent: a settled promise is never looked at again."""
    paid_since = (
        Repayment.objects.filter(
            loan_id=OuterRef("case__loan_id"),
            created_at__gte=OuterRef("created_at"),
            paid_on__lte=OuterRef("promised_on"),
        )
        .order_by()
        .values("loan_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    due = (
        PromiseToPay.objects.select_for_update(of=("self",))
        .filter(status=PromiseToPay.Status.PENDING, promised_on__lt=as_of)
        .annotate(paid=Coalesce(Subquery(paid_since), ZERO))
        .order_by("id")
    )
    kept, broken = [], []
    for promise_id, case_id, paid, amount in due.values_list("id", "case_id", "paid", "amount"):
        (kept if paid >= amount else broken).append((promise_id, case_id))
    for rows, outcome in ((kept, PromiseToPay.Status.KEPT), (broken, PromiseToPay.Status.BROKEN)):
        if rows:
            PromiseToPay.objects.filter(pk__in=[p for p, _ in rows]).update(status=outcome)
    cases = {c for _, c in kept + broken}
    reopened = (
        CollectionCase.objects.filter(pk__in=cases, status=CollectionCase.Status.PROMISED)
        .exclude(promises__status=PromiseToPay.Status.PENDING)
        .update(status=CollectionCase.Status.OPEN)
        if cases
        else 0
    )
    audit_record_many(
        [
            {
                "action": f"lending.promise_{outcome}",
                "subject_type": "collection_case",
                "subject_id": case_id,
                "actor": None,
                "after": {"promise": promise_id, "as_of": str(as_of)},
                "context": SYSTEM,
            }
            for rows, outcome in ((kept, "kept"), (broken, "broken"))
            for promise_id, case_id in rows
        ]
    )
    return {"kept": len(kept), "broken": len(broken), "reopened": reopened}


def _chunks(ids: list[int]):
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _outstanding_by_investor(loan_ids) -> dict[int, dict[int, Decimal]]:
    """{loan id: {investor id: outstanding principal}} over the loans' active investments,
    in one query."""
    result: dict[int, dict[int, Decimal]] = defaultdict(dict)
    rows = (
        Investment.objects.filter(loan_id__in=loan_ids, status=Investment.Status.ACTIVE)
        .values("loan_id", "investor_id")
        .annotate(outstanding=Sum(F("amount") - F("principal_received_amount")))
        .order_by("loan_id", "investor_id")
    )
    for row in rows:
        result[row["loan_id"]][row["investor_id"]] = row["outstanding"]
    return result


def _tell_investors(loans, *, kind: str, title, body) -> int:
    """One notification per investor per loan (deduplicated per loan and occasion), each
    with their own outstanding principal, in one insert."""
    holdings = _outstanding_by_investor([loan.pk for loan in loans])
    notifications = [
        Notification(
            user_id=investor_id,
            kind=kind,
            title=title(loan),
            body=body(loan, outstanding),
            subject_type="loan",
            subject_id=str(loan.pk),
            dedupe_key=f"{kind}:{loan.pk}",
        )
        for loan in loans
        for investor_id, outstanding in holdings.get(loan.pk, {}).items()
    ]
    return len(notification_send_each(notifications=notifications))


def _loan_events(loans, action: str, as_of: date) -> list[dict]:
    return [
        {
            "action": action,
            "subject_type": "loan",
            "subject_id": loan.pk,
            "actor": None,
            "after": {"status": loan.status, "reason": loan.status_reason, "as_of": str(as_of)},
            "context": SYSTEM,
        }
        for loan in loans
    ]


def loans_default(*, as_of: date) -> dict:
    """Default every repaying loan whose days past due (as the delinquency step left them)
    reached its product's `default_after_days`: status defaulted, defaulted on `as_of`, the
    reason in words; investors are notified and read an update on the loan page. What the
    borrower pays from then on is a recovery, distributed like any repayment. Chunks of
    CHUNK loans, each one transaction of set-based statements; a defaulted loan is never
    picked again, so a replayed date changes nothing."""
    candidates = list(
        Loan.objects.filter(
            status=Loan.Status.REPAYING, days_past_due__gte=F("product__default_after_days")
        )
        .order_by("id")
        .values_list("id", flat=True)
    )
    defaulted = notified = 0
    for chunk in _chunks(candidates):
        with transaction.atomic():
            loans = list(
                Loan.objects.select_for_update(of=("self",))
                .select_related("product")
                .filter(
                    pk__in=chunk,
                    status=Loan.Status.REPAYING,
                    days_past_due__gte=F("product__default_after_days"),
                )
                .order_by("id")
            )
            for loan in loans:
                loan.status = Loan.Status.DEFAULTED
                loan.defaulted_on = as_of
                loan.status_reason = (
                    f"Defaulted: {loan.days_past_due} days past due "
                    f"(the product defaults at {loan.product.default_after_days})"
                )
            Loan.objects.bulk_update(loans, ["status", "defaulted_on", "status_reason"])
            LoanUpdate.objects.bulk_create(
                LoanUpdate(
                    loan=loan,
                    posted_on=as_of,
                    text=(
                        f"The borrower has not kept up payments for {loan.days_past_due} days, "
                        "so the loan is now in default. Collections continue, and anything "
                        "recovered is paid out to investors in proportion to what they are "
                        "owed."
                    ),
                )
                for loan in loans
            )
            notified += _tell_investors(
                loans,
                kind="loan_defaulted",
                title=lambda loan: notice(
                    gettext_lazy("Loan %(loan)s is in default"), loan=loan.reference
                ),
                body=lambda loan, outstanding: notice(
                    gettext_lazy(
                        "The borrower is %(days)s days behind, so loan %(loan)s is now in "
                        "default. Your outstanding principal is %(outstanding)s. We keep "
                        "collecting; anything recovered is paid out to you like a repayment."
                    ),
                    days=loan.days_past_due,
                    loan=loan.reference,
                    outstanding=money.display(outstanding, loan.currency),
                ),
            )
            audit_record_many(_loan_events(loans, "lending.loan_defaulted", as_of))
            defaulted += len(loans)
    return {"defaulted": defaulted, "notified": notified}


def _days_past_due(as_of: date, loan_days: int, oldest_due_on: date | None) -> int:
    """Days past due of a defaulted loan on `as_of`: from its oldest unsettled installment,
    or what the delinquency step recorded, whichever is more."""
    counted = (as_of - oldest_due_on).days if oldest_due_on else 0
    return max(loan_days, counted)


def loans_write_off(*, as_of: date) -> dict:
    """Write off every defaulted loan whose days past due reached its product's
    `write_off_after_days`: its unsettled installments become written off, the loan
    written_off on `as_of` with the reason, its collection case closed; each investor is
    told their loss, the principal still outstanding on their investments. A recovery
    later is still distributed (lending.services.repayments). Chunks of CHUNK loans, each
    one transaction; replaying a date changes nothing."""
    rows = (
        Loan.objects.filter(status=Loan.Status.DEFAULTED)
        .annotate(
            oldest=Min(
                "installments__due_on",
                filter=Q(installments__status__in=Installment.OPEN_STATUSES),
            )
        )
        .order_by("id")
        .values_list("id", "days_past_due", "oldest", "product__write_off_after_days")
    )
    due = {
        loan_id: _days_past_due(as_of, days, oldest)
        for loan_id, days, oldest, limit in rows
        if _days_past_due(as_of, days, oldest) >= limit
    }
    written_off = notified = 0
    for chunk in _chunks(list(due)):
        with transaction.atomic():
            loans = list(
                Loan.objects.select_for_update(of=("self",))
                .filter(pk__in=chunk, status=Loan.Status.DEFAULTED)
                .order_by("id")
            )
            ids = [loan.pk for loan in loans]
            for loan in loans:
                loan.status = Loan.Status.WRITTEN_OFF
                loan.written_off_on = as_of
                loan.status_reason = f"Written off: {due[loan.pk]} days past due"
            Loan.objects.bulk_update(loans, ["status", "written_off_on", "status_reason"])
            Installment.objects.filter(
                loan_id__in=ids, status__in=Installment.OPEN_STATUSES
            ).update(status=Installment.Status.WRITTEN_OFF)
            CollectionCase.objects.filter(loan_id__in=ids).exclude(
                status=CollectionCase.Status.CLOSED
            ).update(
                status=CollectionCase.Status.CLOSED, closed_on=as_of, close_reason="Written off"
            )
            LoanUpdate.objects.bulk_create(
                LoanUpdate(
                    loan=loan,
                    posted_on=as_of,
                    text=(
                        "After long non-payment the loan has been written off: the principal "
                        "still outstanding is counted as a loss. If anything is recovered "
                        "later, it is still paid out to investors."
                    ),
                )
                for loan in loans
            )
            notified += _tell_investors(
                loans,
                kind="loan_written_off",
                title=lambda loan: notice(
                    gettext_lazy("Loan %(loan)s is written off"), loan=loan.reference
                ),
                body=lambda loan, outstanding: notice(
                    gettext_lazy(
                        "Loan %(loan)s has been written off after long non-payment. Your loss "
                        "is the principal still outstanding: %(outstanding)s. Anything "
                        "recovered later is still paid out to you."
                    ),
                    loan=loan.reference,
                    outstanding=money.display(outstanding, loan.currency),
                ),
            )
            audit_record_many(_loan_events(loans, "lending.loan_written_off", as_of))
            written_off += len(loans)
    return {"written_off": written_off, "notified": notified}


# Borrower PII investors must never read in a note: an email address, or a run of seven or
# more digits (a phone, identity, bank card or account number; amounts are written with
# separators or are shorter).
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
_LONG_NUMBER = re.compile(r"\d(?:[\s\-.]?\d){6,}")


def ensure_no_borrower_pii(text: str, loan: Loan) -> None:
    """Refuse borrower PII in text investors read (text_contains_pii): see the patterns above;
    disclosure checks its borrower-situation updates with this too."""
    lowered = text.casefold()
    if _EMAIL.search(text) or _LONG_NUMBER.search(text.replace(",", "")):
        raise errors.TextContainsPii()
    if loan.borrower.email and loan.borrower.email.casefold() in lowered:
        raise errors.TextContainsPii()


@transaction.atomic
def loan_update_post(*, loan_id: int, text: str, actor, context: AuditContext = SYSTEM):
    """A collector posts a note investors read on the loan page, in plain words: public
    text (no control or direction characters, at most 500 characters) and no borrower PII
    (no email address, no long number). The loan's investors are notified."""
    ensure_collector(actor)
    text = (text or "").strip()
    if not text:
        raise errors.LendingError(_("Write the note investors will read."), code="text_required")
    ensure_public_text("text", text, max_length=500, multiline=True)
    loan = (
        Loan.objects.select_for_update(of=("self",))
        .select_related("borrower")
        .filter(pk=loan_id)
        .first()
    )
    if loan is None:
        raise NotFound()
    if loan.disbursed_on is None:
        raise errors.LoanNotServiced()
    ensure_no_borrower_pii(text, loan)
    update = LoanUpdate.objects.create(
        loan=loan, text=text, posted_by=actor, posted_on=business_date()
    )
    investor_ids = (
        Investment.objects.filter(loan=loan, status=Investment.Status.ACTIVE)
        .values_list("investor_id", flat=True)
        .distinct()
    )
    notification_send_many(
        users=list(get_user_model().objects.filter(pk__in=investor_ids).order_by("pk")),
        kind="loan_update",
        title=notice(gettext_lazy("An update on loan %(loan)s"), loan=loan.reference),
        body=text,
        subject_type="loan",
        subject_id=loan.pk,
    )
    audit_record(
        action="lending.loan_update_posted",
        subject_type="loan",
        subject_id=loan.pk,
        actor=actor,
        after={"update": update.pk},
        context=context,
    )
    return update
