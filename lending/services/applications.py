"""Applications: submission, the automatic risk review, and a reviewer's decision.

Every decision stores its reasons, writes an audit event in the same transaction and
notifies the borrower after commit.
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.services import ensure_customer
from core import money
from core.audit import SYSTEM, AuditContext, audit_record
from core.enqueue import enqueue_on_commit
from core.errors import NotFound
from core.policies import DECLINED_GRADE
from core.text import public_text_refusal
from lending import eligibility, errors
from lending.adapters.credit_bureau import credit_bureau, grade_for_score
from lending.business_date import business_date
from lending.eligibility import ReviewIdentifiers
from lending.models import (
    DECISION_REASON_LENGTH,
    PROHIBITED_PURPOSES,
    PURPOSE_DETAIL_LENGTH,
    Application,
    Product,
    Purpose,
)
from lending.selectors import borrower_headroom, borrower_kind_locked, offer_figures_of
from lending.services.blocklist import blocklisted_kinds
from lending.services.notifications import notice, notification_send
from lending.services.offers import offer_make, offer_notify
from lending.terms import ensure_application_terms


def ensure_borrower_kind_unchanged(*, borrower, kind: str) -> None:
    """Refuse an application as one kind of borrower while the user owes, or has asked for,
    money as the other kind.

    A user who registers a company borrows for it, under the enterprise caps (1,000,000 here,
    5,000,000 on all platforms) instead of a person's (200,000 / 1,000,000). Without this
    rule a person at the individual cap could register a company and borrow five times
    more on top, or a company could shed its registration and borrow again as a person.
    Counting every outstanding loan against the new kind's caps would still let a person
    pass their own 200,000 through a company they control; so the safer rule applies: the
    borrower's kind is fixed while any application of theirs is open or any loan is still
    outstanding (open, funded, repaying or defaulted), and each application keeps the kind
    it was made as (`Application.borrower_kind`): its caps, bureau report and disclosure
    are that kind's. The caps still count everything the user owes here, whatever kind
    borrowed it. Accounts cannot see loans (it is a lower layer), so the rule lives here.
    """
    if borrower_kind_locked(borrower, kind=kind):
        raise errors.BorrowerKindLocked()


def ensure_public_text(field: str, value: str, *, max_length: int, multiline=False) -> None:
    """Refuse free text another person will read with control characters, text-direction
    marks or beyond `max_length` (core.text; 400 text_control_characters or text_too_long)."""
    refusal = public_text_refusal(value, max_length=max_length, multiline=multiline)
    if refusal is not None:
        raise errors.TextRefused(refusal.message, code=refusal.code, field=field)


@transaction.atomic
def application_submit(
    *,
    borrower,
    product_id: int,
    amount: Decimal,
    term_months: int,
    method: str,
    purpose: str,
    purpose_detail: str = "",
    context: AuditContext = SYSTEM,
) -> Application:
    """Submit an application: verified identity, borrower profile, product terms, a permitted
    purpose, headroom under the borrowing caps, and one open application at a time. Staff
    never borrow (accounts.services.ensure_customer)."""
    ensure_customer(borrower)
    # Published to every investor on the loan page.
    ensure_public_text("purpose_detail", purpose_detail, max_length=PURPOSE_DETAIL_LENGTH)
    if not eligibility.identity_verified(borrower):
        raise errors.IdentityNotVerified()
    facts = eligibility.borrower_facts(borrower)
    if facts is None:
        raise errors.BorrowerProfileMissing()
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise errors.ProductUnavailable()
    ensure_application_terms(product=product, amount=amount, term_months=term_months, method=method)
    if purpose in PROHIBITED_PURPOSES or purpose not in Purpose.values:
        raise errors.ProhibitedPurpose()
    # One in flight at a time: in review, or approved with the offer still to be answered.
    if Application.objects.filter(Application.in_flight(), borrower=borrower).exists():
        raise errors.ApplicationAlreadyOpen()
    ensure_borrower_kind_unchanged(borrower=borrower, kind=facts.kind)
    headroom = borrower_headroom(borrower)
    if amount > headroom.amount:
        caps = headroom.caps  # always set by borrowing_headroom
        kind = _("a company") if caps.kind == "enterprise" else _("a person")
        raise errors.CapExceeded(
            _(
                "You can borrow at most %(amount)s more: %(kind)s may owe at most "
                "%(platform)s on this platform and %(total)s on all platforms."
            )
            % {
                "amount": money.display(headroom.amount, product.currency),
                "kind": kind,
                "platform": f"{caps.platform:,.0f}",
                "total": f"{caps.total:,.0f}",
            },
            kind=caps.kind,
            binding_cap=headroom.binding_cap,
        )
    try:
        with transaction.atomic():
            application = Application.objects.create(
                borrower=borrower,
                product=product,
                amount=amount,
                term_months=term_months,
                method=method,
                purpose=purpose,
                purpose_detail=purpose_detail,
                currency=product.currency,
                borrower_kind=facts.kind,
            )
    except IntegrityError as exc:  # a parallel submission won the one-open-application race
        raise errors.ApplicationAlreadyOpen() from exc
    audit_record(
        action="lending.application_submitted",
        subject_type="application",
        subject_id=application.id,
        actor=borrower,
        after={
            "amount": str(amount),
            "term_months": term_months,
            "product": product.code,
            "borrower_kind": facts.kind,
        },
        context=context,
    )
    enqueue_on_commit("lending.application_review", application.id)
    return application


# Flags that refuse the application outright; every other flag sends it to a reviewer.
HARD_FLAGS = frozenset({"fraud_signal:identity_blocklisted"})


def _fraud_flags(application: Application, identifiers: ReviewIdentifiers) -> list[str]:
    flags = [
        f"fraud_signal:{kind}" for kind in eligibility.fraud_signal_kinds(application.borrower)
    ]
    window_start = timezone.now() - timedelta(days=settings.LENDING_VELOCITY_WINDOW_DAYS)
    recent = Application.objects.filter(
        borrower_id=application.borrower_id, submitted_at__gte=window_start
    ).count()
    if recent > settings.LENDING_VELOCITY_MAX_APPLICATIONS:
        flags.append("velocity")
    blocked = blocklisted_kinds(identifiers, application.borrower.email)
    return flags + [f"blocklist:{kind}" for kind in blocked]


def _inconsistencies(facts, report) -> list[str]:
    found = []
    # The bureau sees more other-platform debt than the borrower declared (10% tolerance).
    if report.other_platform_borrowing > facts.declared_other_borrowing * Decimal("1.1") + 1000:
        found.append("inconsistent:undeclared_other_borrowing")
    if facts.monthly_income <= 0 or facts.monthly_obligations >= facts.monthly_income:
        found.append("inconsistent:obligations_exceed_income")
    return found


def application_review(*, application_id: int) -> Application:
    """The automatic review: bureau report, grade, anti-fraud rules and caps.

    Declined grade (HR), a blocklisted identity, a breached cap or an APR above the cost
    ceiling reject outright; a clean low-risk case within the auto-approve limits is
    approved with its final offer (listed only once the borrower accepts it); anything else
    waits for a reviewer. Idempotent: only a `submitted` application is reviewed. The
    bureau is asked first, outside any transaction (no lock is held while it answers);
    the decision is then taken on the locked application.
    """
    application = (
        Application.objects.select_related("borrower", "product").filter(pk=application_id).first()
    )
    if application is None or application.status != Application.Status.SUBMITTED:
        return application
    facts = eligibility.borrower_facts(application.borrower)
    identifiers = eligibility.review_identifiers(application.borrower)
    bureau = credit_bureau()
    if facts.kind == "enterprise":
        # The company borrows: its enterprise credit report, asked by its credit code.
        report = bureau.enterprise_report(credit_code=identifiers.credit_code)
    else:
        report = bureau.report(national_id=identifiers.national_id)
    return _review_decide(application_id=application_id, report=report, identifiers=identifiers)


@transaction.atomic(durable=True)
def _review_decide(*, application_id: int, report, identifiers: ReviewIdentifiers) -> Application:
    """The review's decision on the locked application, from the bureau's report; a review
    that finished meanwhile (a redelivered task) leaves it as it is."""
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("borrower", "product")
        .get(pk=application_id)
    )
    if application.status != Application.Status.SUBMITTED:
        return application
    facts = eligibility.borrower_facts(application.borrower)
    grade = grade_for_score(report.score)
    flags = _fraud_flags(application, identifiers) + _inconsistencies(facts, report)
    other = max(report.other_platform_borrowing, facts.declared_other_borrowing)
    headroom = borrower_headroom(
        application.borrower, other_platforms=other, exclude_application_id=application.id
    )
    rate = application.product.rate_for(grade) if grade != DECLINED_GRADE else None

    hard = []
    if facts.kind != application.borrower_kind:
        # A company registered (or removed) since submission: the caps, the report and the
        # disclosure would be another borrower's than the one who applied.
        hard.append("borrower_kind_changed")
    if grade == DECLINED_GRADE:
        hard.append("grade_hr_declined")
    elif rate is None:
        hard.append("grade_not_priced")
    if application.amount > headroom.amount:
        # e.g. borrowing_cap_exceeded:enterprise_total; the kind says which caps applied.
        hard.append(f"borrowing_cap_exceeded:{_cap_label(headroom)}")
    hard += [f for f in flags if f in HARD_FLAGS or f.startswith("blocklist:")]
    application.annual_rate = rate
    if rate is not None and offer_figures_of(application).apr > settings.LENDING_COST_CEILING_RATE:
        # No offer is ever made above the legal ceiling on the cost of credit.
        hard.append("apr_above_cost_ceiling")

    soft = [f for f in flags if f not in hard]
    if report.overdue_records_6m:
        soft.append(f"overdue_records_6m:{report.overdue_records_6m}")
    if grade not in settings.LENDING_AUTO_APPROVE_GRADES:
        soft.append(f"grade_{grade}_needs_review")
    if application.amount > settings.LENDING_AUTO_APPROVE_MAX_AMOUNT:
        soft.append("amount_above_auto_approve_limit")

    before = {"status": application.status}
    application.bureau_report = report.as_json()
    application.fraud_flags = flags
    application.grade = grade
    application.risk_checked_at = timezone.now()
    if hard:
        application.status = Application.Status.REJECTED
        application.decision_reasons = hard
        application.is_auto_decided = True
        application.decided_at = timezone.now()
    elif not soft:
        application.status = Application.Status.APPROVED
        application.decision_reasons = ["auto_approved:clean_low_risk"]
        application.is_auto_decided = True
        application.decided_at = timezone.now()
        offer_make(application, today=business_date())
    else:
        application.status = Application.Status.UNDER_REVIEW
        application.decision_reasons = soft
    application.save()
    audit_record(
        action="lending.application_reviewed",
        subject_type="application",
        subject_id=application.id,
        before=before,
        after={
            "status": application.status,
            "grade": grade,
            "score": report.score,
            "reasons": application.decision_reasons,
            **_offer_audit(application),
        },
    )
    _after_decision(application)
    return application


def _offer_audit(application: Application) -> dict:
    """The offer an approval made, as its audit event keeps it."""
    if application.status != Application.Status.APPROVED:
        return {}
    return {
        "offer_apr": str(application.offer_apr),
        "offer_expires_on": application.offer_expires_on.isoformat(),
        "offer_terms": application.offer_terms,
    }


def _cap_label(headroom) -> str:
    """`platform` or `total` for an individual (as before enterprises), else `enterprise_*`."""
    kind = headroom.caps.kind if headroom.caps is not None else "individual"
    if kind == "individual":
        return headroom.binding_cap
    return f"{kind}_{headroom.binding_cap}"


def _after_decision(application: Application) -> None:
    if application.status == Application.Status.APPROVED:
        offer_notify(application)
    elif application.status == Application.Status.REJECTED:
        notification_send(
            user=application.borrower,
            kind="application_rejected",
            title=notice(gettext_lazy("Your loan application was not approved")),
            body=notice(
                format_lazy(
                    " ".join("{}" for _reason in application.borrower_reasons),
                    *(reason.message for reason in application.borrower_reasons),
                )
            ),
            subject_type="application",
            subject_id=application.id,
        )
    else:
        notification_send(
            user=application.borrower,
            kind="application_under_review",
            title=notice(gettext_lazy("Your loan application is with a reviewer")),
            subject_type="application",
            subject_id=application.id,
        )


@transaction.atomic
def application_decide(
    *, application_id: int, reviewer, decision: str, reason: str, context: AuditContext = SYSTEM
) -> Application:
    """A reviewer approves or rejects an application waiting in the queue, with a reason."""
    if not reviewer.has_role("reviewer"):
        raise errors.RoleRequired(_("Only a risk reviewer may decide applications."))
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("borrower", "product")
        .filter(pk=application_id)
        .first()
    )
    if application is None:
        raise NotFound()
    if (
        application.status != Application.Status.UNDER_REVIEW
        or application.risk_checked_at is None
        or application.borrower_id == reviewer.pk
    ):
        raise errors.ApplicationNotReviewable()
    reason = (reason or "").strip()
    if not reason:
        raise errors.ReasonRequired()
    ensure_public_text("reason", reason, max_length=DECISION_REASON_LENGTH, multiline=True)
    if decision == "approve" and application.annual_rate is None:
        raise errors.ApplicationNotReviewable(_("This grade is not priced by the product."))
    if decision == "approve":
        facts = eligibility.borrower_facts(application.borrower)
        if facts is None or facts.kind != application.borrower_kind:
            raise errors.BorrowerKindChanged()
        # Refuses (409 apr_above_cost_ceiling) an offer above the cost ceiling.
        offer_make(application, today=business_date())
    before = {"status": application.status}
    application.status = (
        Application.Status.APPROVED if decision == "approve" else Application.Status.REJECTED
    )
    application.decision_reasons = [*application.decision_reasons, f"reviewer:{reason}"]
    application.reviewed_by = reviewer
    application.is_auto_decided = False
    application.decided_at = timezone.now()
    application.save()
    audit_record(
        action=f"lending.application_{application.status}",
        subject_type="application",
        subject_id=application.id,
        actor=reviewer,
        before=before,
        after={"status": application.status, "reason": reason, **_offer_audit(application)},
        context=context,
    )
    _after_decision(application)
    return application
