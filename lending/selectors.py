"""Lending reads: products, applications, the marketplace, holdings, schedules, headroom."""

from dataclasses import replace
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, DecimalField, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _

from core import money
from core.errors import DomainError
from core.policies import LOAN_GRADES, Caps, borrowing_headroom
from lending import eligibility, errors, servicing
from lending.cost import OfferFigures, apr, offer_figures
from lending.investment_rules import marketplace_refusal
from lending.models import (
    Application,
    AutoInvestRule,
    HardshipRequest,
    Installment,
    Investment,
    Loan,
    LoanAgreement,
    LoanUpdate,
    Notification,
    Product,
    Repayment,
    RepaymentAuthorisation,
)
from lending.schedules import build_schedule, schedule_totals
from lending.terms import ensure_application_terms, service_fee

ZERO = Value(Decimal("0.00"), output_field=DecimalField(max_digits=14, decimal_places=2))
# What counts against an investor's limits: pending orders too, so parallel orders cannot
# pass the limits together.
HELD_STATUSES = (Investment.Status.PENDING, Investment.Status.RESERVED, Investment.Status.ACTIVE)
# How much of a held investment counts: its outstanding principal, so principal repaid frees
# room under the limits (an order or a reservation has received nothing: all of it counts).
HELD_AMOUNT = F("amount") - F("principal_received_amount")
LIVE_LOAN_STATUSES = (
    Loan.Status.OPEN,
    Loan.Status.FUNDED,
    Loan.Status.REPAYING,
    Loan.Status.DEFAULTED,
)


def product_list_active() -> QuerySet[Product]:
    return Product.objects.filter(is_active=True).order_by("id")


def caps_for(kind: str) -> Caps:
    if kind == "enterprise":
        return Caps(
            platform=settings.LENDING_CAP_ENTERPRISE_PLATFORM,
            total=settings.LENDING_CAP_ENTERPRISE_TOTAL,
            kind="enterprise",
        )
    return Caps(
        platform=settings.LENDING_CAP_INDIVIDUAL_PLATFORM,
        total=settings.LENDING_CAP_INDIVIDUAL_TOTAL,
    )


def borrower_kind_locked(borrower, *, kind: str) -> bool:
    """Whether the user has an open application, or a loan still outstanding, as the other
    kind of borrower (see services.applications.ensure_borrower_kind_unchanged)."""
    return (
        Application.objects.filter(borrower=borrower)
        .exclude(borrower_kind=kind)
        .filter(
            Application.in_flight()
            | Q(status=Application.Status.APPROVED, loan__status__in=LIVE_LOAN_STATUSES)
        )
        .exists()
    )


def borrower_platform_outstanding(user_id: int, *, exclude_application_id=None) -> Decimal:
    """Principal this borrower owes or has asked for on this platform.

    Applications in flight count (in review, or approved with the offer unanswered), so a
    borrower cannot exceed the cap with parallel requests, nor with an offer kept open.
    """
    listed = Loan.objects.filter(
        borrower_id=user_id, status__in=(Loan.Status.OPEN, Loan.Status.FUNDED)
    ).aggregate(s=Coalesce(Sum("amount"), ZERO))["s"]
    repaying = Installment.objects.filter(
        loan__borrower_id=user_id,
        loan__status__in=(Loan.Status.REPAYING, Loan.Status.DEFAULTED),
        status__in=(
            Installment.Status.SCHEDULED,
            Installment.Status.DUE,
            Installment.Status.OVERDUE,
        ),
    ).aggregate(s=Coalesce(Sum("principal_amount"), ZERO))["s"]
    pending = (
        Application.objects.filter(Application.in_flight(), borrower_id=user_id)
        .exclude(pk=exclude_application_id)
        .aggregate(s=Coalesce(Sum("amount"), ZERO))["s"]
    )
    return listed + repaying + pending


def borrower_headroom(user, *, other_platforms: Decimal | None = None, exclude_application_id=None):
    """(Headroom, kind) for a borrower, or None without a borrower profile."""
    facts = eligibility.borrower_facts(user)
    if facts is None:
        return None
    other = facts.declared_other_borrowing if other_platforms is None else other_platforms
    return borrowing_headroom(
        caps=caps_for(facts.kind),
        platform_outstanding=borrower_platform_outstanding(
            user.pk, exclude_application_id=exclude_application_id
        ),
        other_platforms_outstanding=other,
    )


def application_list_for_borrower(user) -> QuerySet[Application]:
    return Application.objects.filter(borrower=user).select_related("product").order_by("-id")


def application_list_all() -> QuerySet[Application]:
    """Every application, whatever its status (staff only)."""
    return Application.objects.all()


def application_review_queue() -> QuerySet[Application]:
    """Applications the automatic review sent to a person, oldest first."""
    return (
        Application.objects.filter(
            status=Application.Status.UNDER_REVIEW, risk_checked_at__isnull=False
        )
        .select_related("product", "borrower")
        .order_by("submitted_at", "id")
    )


# The marketplace's sort orders (the page form and the API accept exactly these keys), each
# ending in id for a stable page (lending.models has partial indexes on open loans for most).
LOAN_ORDERINGS = {
    "deadline": ("funding_deadline_on", "id"),
    "rate": ("annual_rate", "id"),
    "-rate": ("-annual_rate", "-id"),
    "left": ("left_amount", "id"),
    "-left": ("-left_amount", "-id"),
    "term": ("term_months", "id"),
    "newest": ("-id",),
}


def loan_list_open(
    *,
    grades=None,
    terms=None,
    min_rate=None,
    max_rate=None,
    min_left=None,
    max_left=None,
    purposes=None,
    ordering: str = "deadline",
) -> QuerySet[Loan]:
    """Open loans for the marketplace, with the amount left annotated (one query a page)."""
    qs = (
        Loan.objects.filter(status=Loan.Status.OPEN, auto_invest_done_at__isnull=False)
        .select_related("product")
        .annotate(left_amount=F("amount") - F("funded_amount"))
    )
    if grades:
        qs = qs.filter(grade__in=grades)
    if terms:
        qs = qs.filter(term_months__in=terms)
    if min_rate is not None:
        qs = qs.filter(annual_rate__gte=min_rate)
    if max_rate is not None:
        qs = qs.filter(annual_rate__lte=max_rate)
    if min_left is not None:
        qs = qs.filter(left_amount__gte=min_left)
    if max_left is not None:
        qs = qs.filter(left_amount__lte=max_left)
    if purposes:
        qs = qs.filter(purpose__in=purposes)
    return qs.order_by(*LOAN_ORDERINGS[ordering])


def loan_get_public(loan_id: int) -> Loan | None:
    """A loan as the marketplace shows it (any status except never-listed)."""
    return (
        Loan.objects.select_related("product")
        .annotate(left_amount=F("amount") - F("funded_amount"))
        .filter(pk=loan_id)
        .first()
    )


def investment_list_for_investor(user) -> QuerySet[Investment]:
    """The investor's investments; refused orders (deleted as soon as their request reads
    them) are never shown."""
    return (
        Investment.objects.filter(investor=user)
        .exclude(status=Investment.Status.REFUSED)
        .select_related("loan")
        .order_by("-id")
    )


def investment_totals_for_investor(user) -> dict[str, dict]:
    """The investor's money in loans by state, in one query: `reserved` (waiting for the
    loan to fill and be paid out) and `active` (lent), each as {"amount", "loans"}."""
    states = {"reserved": Investment.Status.RESERVED, "active": Investment.Status.ACTIVE}
    sums = Investment.objects.filter(investor=user).aggregate(
        **{
            f"{name}_amount": Coalesce(Sum("amount", filter=Q(status=status)), ZERO)
            for name, status in states.items()
        },
        **{
            f"{name}_loans": Count("loan", filter=Q(status=status), distinct=True)
            for name, status in states.items()
        },
    )
    return {
        name: {"amount": sums[f"{name}_amount"], "loans": sums[f"{name}_loans"]} for name in states
    }


def investor_held_amount(user_id: int, *, loan_id: int | None = None) -> Decimal:
    """What an investor has committed and not been repaid (ordered, reserved, or disbursed
    and still outstanding), optionally in one loan."""
    qs = Investment.objects.filter(investor_id=user_id, status__in=HELD_STATUSES)
    if loan_id is not None:
        qs = qs.filter(loan_id=loan_id)
    return money.quantize(qs.aggregate(s=Coalesce(Sum(HELD_AMOUNT), ZERO))["s"])


def investor_held_amounts(user_ids, *, loan_id: int) -> dict[int, tuple[Decimal, Decimal]]:
    """(held in this loan, held in total) per investor, for many investors in one query;
    investors holding nothing are (0, 0). Held is HELD_AMOUNT: outstanding principal."""
    sums = {
        row["investor_id"]: (money.quantize(row["in_loan"]), money.quantize(row["total"]))
        for row in Investment.objects.filter(investor_id__in=user_ids, status__in=HELD_STATUSES)
        .values("investor_id")
        .annotate(
            in_loan=Coalesce(Sum(HELD_AMOUNT, filter=Q(loan_id=loan_id)), ZERO),
            total=Coalesce(Sum(HELD_AMOUNT), ZERO),
        )
        .order_by()
    }
    nothing = (Decimal("0.00"), Decimal("0.00"))
    return {user_id: sums.get(user_id, nothing) for user_id in user_ids}


def marketplace_refusals(user, loan_ids) -> dict[int, DomainError]:
    """For an investor: why they could not invest in each of these loans, by loan id (loans
    they may invest in are left out). The placement's own rules, asked before they click
    (lending.investment_rules.marketplace_refusal); three queries whatever the count."""
    loan_ids = list(loan_ids)
    if not loan_ids:
        return {}
    verified, limits = eligibility.investor_limits_many([user.pk])
    loans = Loan.objects.filter(pk__in=loan_ids).select_related("product")
    held = Investment.objects.filter(investor=user, status__in=HELD_STATUSES)
    # Held as the placement counts it (HELD_AMOUNT: outstanding principal).
    total = money.quantize(held.aggregate(s=Coalesce(Sum(HELD_AMOUNT), ZERO))["s"])
    in_loans = dict(
        held.filter(loan_id__in=loan_ids)
        .values("loan_id")
        .annotate(s=Sum(HELD_AMOUNT))
        .order_by()
        .values_list("loan_id", "s")
    )
    refusals = {}
    for loan in loans:
        refusal = marketplace_refusal(
            user.pk,
            loan,
            user.pk in verified,
            limits.get(user.pk),
            (in_loans.get(loan.pk, Decimal("0.00")), total),
        )
        if refusal is not None:
            refusals[loan.pk] = refusal
    return refusals


def investor_stake(user, loan: Loan) -> list[Investment]:
    """The investor's own investments in one loan (refused orders left out), oldest first."""
    return list(
        Investment.objects.filter(investor=user, loan=loan)
        .exclude(status=Investment.Status.REFUSED)
        .order_by("id")
    )


def loan_schedule(loan: Loan) -> dict:
    """A loan's repayment schedule for its page: its installments once disbursed (with
    their status), else the schedule its terms give (lending.schedules), projected from a
    disbursement date not yet known."""
    installments = list(installment_list(loan)) if loan.disbursed_on else []
    if installments:
        lines = installments
    else:
        lines = build_schedule(
            amount=loan.amount,
            annual_rate=loan.annual_rate,
            term_months=loan.term_months,
            method=loan.method,
        )
    principal = sum((line.principal_amount for line in lines), Decimal("0.00"))
    interest = sum((line.interest_amount for line in lines), Decimal("0.00"))
    return {
        "is_projected": not installments,
        "lines": lines,
        "totals": {"principal": principal, "interest": interest, "total": principal + interest},
    }


def borrowing_list_for_borrower(user) -> QuerySet[Loan]:
    return (
        Loan.objects.filter(borrower=user)
        .select_related("product")
        .annotate(left_amount=F("amount") - F("funded_amount"))
        .order_by("-id")
    )


def installment_list(loan: Loan) -> QuerySet[Installment]:
    return Installment.objects.filter(loan=loan).order_by("number")


def repayment_list(loan: Loan) -> QuerySet[Repayment]:
    """A loan's repayments, newest first."""
    return Repayment.objects.filter(loan=loan).order_by("-id")


def loan_update_list(loan: Loan) -> QuerySet[LoanUpdate]:
    """The notes investors read on a loan's page, newest first."""
    return LoanUpdate.objects.filter(loan=loan).order_by("-posted_on", "-id")


def hardship_request_list(loan: Loan) -> QuerySet[HardshipRequest]:
    return HardshipRequest.objects.filter(loan=loan).order_by("-id")


def investor_expected_payments(user, loan: Loan) -> dict | None:
    """What the investor can expect from each of the loan's open installments for their
    stake (lending.servicing.expected_payments), or None when they hold none of it."""
    if not (user and user.is_authenticated) or loan.disbursed_on is None:
        return None
    outstanding = F("amount") - F("principal_received_amount")
    sums = Investment.objects.filter(loan=loan, status=Investment.Status.ACTIVE).aggregate(
        mine=Sum(outstanding, filter=Q(investor=user)), total=Sum(outstanding)
    )
    mine = sums["mine"]
    if mine is None:
        return None
    owed = [
        replace(servicing.owed_of(i), late_fee=Decimal("0.00"))  # fixed fees: the platform's
        for i in Installment.objects.filter(loan=loan, status__in=Installment.OPEN_STATUSES)
    ]
    payments = servicing.expected_payments(
        owed=owed, mine=mine, total=sums["total"], fee_rate=loan.platform_fee_rate
    )
    return {
        "outstanding": mine,
        "payments": payments,
        "total": sum((p.net for p in payments), Decimal("0.00")),
    }


def repayment_authorisation_latest(loan: Loan) -> RepaymentAuthorisation | None:
    """The loan's latest standing authorisation, active or withdrawn."""
    return RepaymentAuthorisation.objects.filter(loan=loan).order_by("-id").first()


def auto_invest_rule_list(user) -> QuerySet[AutoInvestRule]:
    return AutoInvestRule.objects.filter(investor=user).order_by("id")


def notification_list(user) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-id")


def notification_paths(notifications) -> dict[int, str]:
    """Where on the site each notification leads, by id: a loan to its borrower's own loan
    page (with the schedule) or, for an investor, to its marketplace page; an application
    to the borrower's applications. Other subjects have no page here. One query."""
    loan_ids = {
        n.pk: int(n.subject_id)
        for n in notifications
        if n.subject_type == "loan" and n.subject_id.isdigit()
    }
    borrowers = (
        dict(Loan.objects.filter(pk__in=loan_ids.values()).values_list("pk", "borrower_id"))
        if loan_ids
        else {}
    )
    paths = {}
    for n in notifications:
        loan_id = loan_ids.get(n.pk)
        if n.subject_type == "application":
            paths[n.pk] = reverse("lending:application-list")
        elif n.subject_type == "offer" and n.subject_id.isdigit():
            paths[n.pk] = reverse("lending:application-offer", args=[int(n.subject_id)])
        elif loan_id in borrowers:
            own = borrowers[loan_id] == n.user_id
            paths[n.pk] = reverse(
                "lending:borrowing-detail" if own else "lending:loan-detail", args=[loan_id]
            )
    return paths


def notification_unread_count(user) -> int:
    """One COUNT on the (user, read_at) index: cheap enough for every page's navigation."""
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def loan_list_funded_awaiting_disbursement() -> QuerySet[Loan]:
    return (
        Loan.objects.filter(status=Loan.Status.FUNDED)
        .select_related("product", "borrower")
        .filter(Q(disbursement__isnull=True) | Q(disbursement__status="pending_approval"))
        .order_by("funded_at", "id")
    )


def schedule_preview(params) -> dict | None:
    """The schedule and total cost an application would have, for the apply page.

    The rate depends on the grade the review gives, so the schedule uses the product's
    middle grade and the cost is shown for every grade. None when the input is incomplete.
    """
    if not params:
        return None
    raw_amount = params.get("amount")
    if raw_amount is None or raw_amount == "":
        return {"error": _("Enter an amount and a term.")}
    try:
        # The strict parser, not Decimal(): NaN, Infinity, exponents and non-ASCII digits
        # parse as Decimals and then break every comparison below.
        amount = money.parse_amount(
            str(raw_amount) if isinstance(raw_amount, Decimal) else raw_amount
        )
    except money.AmountError as exc:
        return {"error": _("Check the amount. %(error)s") % {"error": exc}}
    try:
        product = Product.objects.filter(pk=int(params.get("product", 0)), is_active=True).first()
        term = int(params.get("term_months", 0))
    except (ValueError, TypeError, OverflowError):
        return {"error": _("Enter an amount and a term.")}
    method = params.get("method", "")
    if product is None:
        return {"error": _("Enter an amount and a term.")}
    try:
        ensure_application_terms(product=product, amount=amount, term_months=term, method=method)
    except errors.LendingError as refusal:
        return {"error": refusal.message}
    priced = [(g, product.rate_for(g)) for g in LOAN_GRADES if product.rate_for(g) is not None]
    if not priced:
        return {"error": _("This product is not priced yet.")}
    fee = service_fee(amount, product.service_fee_rate)
    by_grade = []
    for grade, rate in priced:
        grade_lines = build_schedule(
            amount=amount, annual_rate=rate, term_months=term, method=method
        )
        totals = schedule_totals(grade_lines)
        by_grade.append(
            {
                "grade": grade,
                "rate": rate,
                # Interest and the fee together, from the cash flows (lending.cost).
                "apr": apr(net_amount=amount - fee, lines=grade_lines),
                "interest": totals["interest_amount"],
                "cost": totals["interest_amount"] + fee,
            }
        )
    grade, rate = priced[len(priced) // 2]
    lines = build_schedule(amount=amount, annual_rate=rate, term_months=term, method=method)
    totals = schedule_totals(lines)
    return {
        "product": product,
        "amount": amount,
        "term": term,
        "grade": grade,
        "rate": rate,
        "apr": apr(net_amount=amount - fee, lines=lines),
        "lines": lines,
        "totals": totals,
        "service_fee": fee,
        "net_amount": amount - fee,
        "total_cost": totals["interest_amount"] + fee,
        "by_grade": by_grade,
    }


def application_offer_for_borrower(user, application_id: int) -> Application | None:
    """The borrower's own approved application with its offer's figures as `figures`, or
    None (another's, or one without an offer)."""
    application = (
        application_list_for_borrower(user)
        .select_related("loan__agreement")
        .filter(pk=application_id, status=Application.Status.APPROVED)
        .exclude(offer_status="")
        .first()
    )
    if application is not None:
        application.figures = offer_figures_of(application)
    return application


def offer_figures_of(application: Application) -> OfferFigures:
    """The figures of the application's offer: its rate, and the fees frozen in the offer
    (the product's current ones before an offer is made)."""
    return offer_figures(
        amount=application.amount,
        annual_rate=application.annual_rate,
        term_months=application.term_months,
        method=application.method,
        service_fee_rate=application.listing_terms()["service_fee_rate"],
    )


def agreement_for_party(user, loan_id: int) -> LoanAgreement | None:
    """A loan's agreement for its borrower, or for an investor holding a reserved or active
    ticket in it; None for anyone else (who is told it does not exist)."""
    if not user.is_authenticated:
        return None
    agreement = LoanAgreement.objects.select_related("loan").filter(loan_id=loan_id).first()
    if agreement is None:
        return None
    if agreement.loan.borrower_id == user.pk:
        return agreement
    holds = Investment.objects.filter(
        loan_id=loan_id,
        investor=user,
        status__in=(Investment.Status.RESERVED, Investment.Status.ACTIVE),
    ).exists()
    return agreement if holds else None


def application_open_offer(user) -> Application | None:
    """The borrower's application whose final offer waits for an answer (at most one)."""
    return Application.objects.filter(
        borrower=user,
        status=Application.Status.APPROVED,
        offer_status=Application.OfferStatus.OPEN,
    ).first()
