"""Final offers: an approved application carries one (grade, rate, APR, fee, schedule) until
the borrower accepts it (then the loan is listed and its agreement generated), declines it,
or lets it lapse at the end of the product's offer window.

Nothing is reserved for an offer: no investor has put money in before the loan is listed,
so declining or lapsing moves no money.
"""

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit import SYSTEM, AuditContext, audit_record, audit_record_many
from core.errors import NotFound
from lending import eligibility, errors
from lending.business_date import business_date
from lending.cost import OfferFigures
from lending.models import Application, Notification, Product
from lending.selectors import offer_figures_of
from lending.services.agreements import agreement_create
from lending.services.listings import loan_open
from lending.services.notifications import notice, notification_send, notification_send_each


def offer_terms_of(product: Product) -> dict:
    """The product's fees as an offer freezes them (strings: JSON keeps Decimals exact)."""
    return {name: str(value) for name, value in product.listing_terms().items()}


def ensure_within_cost_ceiling(figures: OfferFigures) -> None:
    """Refuse an offer whose APR is above LENDING_COST_CEILING_RATE (interest and every fee
    together stay under the legal ceiling on the cost of credit)."""
    if figures.apr > settings.LENDING_COST_CEILING_RATE:
        raise errors.AprAboveCeiling(
            _(
                "The offer's APR of %(apr)s is above the ceiling on the cost of credit "
                "(%(ceiling)s): reject the application."
            )
            % {"apr": f"{figures.apr:.2%}", "ceiling": f"{settings.LENDING_COST_CEILING_RATE:.2%}"}
        )


def offer_make(application: Application, *, today: date) -> OfferFigures:
    """Put the final offer on an application being approved (the caller saves it inside its
    transaction): the APR of its terms, the fees frozen, and the last day to accept it."""
    application.offer_terms = offer_terms_of(application.product)
    figures = offer_figures_of(application)
    ensure_within_cost_ceiling(figures)
    application.offer_status = Application.OfferStatus.OPEN
    application.offer_apr = figures.apr
    application.offer_expires_on = today + timedelta(days=application.product.offer_window_days)
    application.offer_answered_at = None
    return figures


def offer_notify(application: Application) -> None:
    """Tell the borrower their application was approved and what the offer is."""
    notification_send(
        user=application.borrower,
        kind="offer_made",
        title=notice(gettext_lazy("Your application was approved: your loan offer is ready")),
        body=notice(
            gettext_lazy(
                "Grade %(grade)s, rate %(rate)s, APR %(apr)s. Accept or decline it by "
                "%(expires_on)s; only an accepted offer is listed."
            ),
            grade=application.grade,
            rate=f"{application.annual_rate:.2%}",
            apr=f"{application.offer_apr:.2%}",
            expires_on=f"{application.offer_expires_on:%Y-%m-%d}",
        ),
        subject_type="offer",
        subject_id=application.pk,
    )


def _locked_offer(*, application_id: int, borrower) -> Application:
    """The borrower's own application, locked; another's, or none, is NotFound."""
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("product", "borrower")
        .filter(pk=application_id, borrower=borrower)
        .first()
    )
    if application is None:
        raise NotFound()
    if not application.has_open_offer:
        raise errors.OfferNotOpen()
    if business_date() > application.offer_expires_on:
        raise errors.OfferExpired()
    return application


@transaction.atomic(durable=True)
def offer_accept(*, application_id: int, borrower, context: AuditContext = SYSTEM) -> Application:
    """The borrower accepts the open offer before it expires: the loan is listed with the
    offer's terms, its agreement generated and stored with its hash, and the acceptance
    recorded in the audit trail (time, IP, user agent, agreement version and SHA-256)."""
    application = _locked_offer(application_id=application_id, borrower=borrower)
    facts = eligibility.borrower_facts(application.borrower)
    if facts is None or facts.kind != application.borrower_kind:
        raise errors.BorrowerKindChanged()
    accepted_at = timezone.now()
    application.offer_status = Application.OfferStatus.ACCEPTED
    application.offer_answered_at = accepted_at
    application.save(update_fields=["offer_status", "offer_answered_at"])
    loan = loan_open(application=application)
    agreement = agreement_create(loan=loan, accepted_at=accepted_at, apr=application.offer_apr)
    audit_record(
        action="lending.offer_accepted",
        subject_type="application",
        subject_id=application.pk,
        actor=borrower,
        before={"offer_status": Application.OfferStatus.OPEN},
        after={
            "offer_status": application.offer_status,
            "accepted_at": accepted_at.isoformat(),
            "apr": str(application.offer_apr),
            "loan": loan.reference,
            "agreement_version": agreement.version,
            "agreement_sha256": agreement.sha256,
        },
        context=context,
    )
    notification_send(
        user=application.borrower,
        kind="offer_accepted",
        title=notice(
            gettext_lazy("Offer accepted: loan %(loan)s is open for funding"), loan=loan.reference
        ),
        body=notice(
            gettext_lazy(
                "Grade %(grade)s, rate %(rate)s, APR %(apr)s, funding until %(deadline)s. "
                "Your loan agreement is on the loan's page."
            ),
            grade=loan.grade,
            rate=f"{loan.annual_rate:.2%}",
            apr=f"{application.offer_apr:.2%}",
            deadline=f"{loan.funding_deadline_on:%Y-%m-%d}",
        ),
        subject_type="loan",
        subject_id=loan.pk,
    )
    return application


@transaction.atomic(durable=True)
def offer_decline(*, application_id: int, borrower, context: AuditContext = SYSTEM) -> Application:
    """The borrower declines the open offer: the application is closed, nothing is listed,
    and no money moves (nothing was reserved). They may apply again."""
    application = _locked_offer(application_id=application_id, borrower=borrower)
    application.offer_status = Application.OfferStatus.DECLINED
    application.offer_answered_at = timezone.now()
    application.save(update_fields=["offer_status", "offer_answered_at"])
    audit_record(
        action="lending.offer_declined",
        subject_type="application",
        subject_id=application.pk,
        actor=borrower,
        before={"offer_status": Application.OfferStatus.OPEN},
        after={"offer_status": application.offer_status},
        context=context,
    )
    return application


@transaction.atomic
def offers_lapse(*, as_of: date) -> int:
    """Close every open offer whose last day to accept is before `as_of`, in one statement,
    with an audit event and a notification for each borrower; return how many lapsed.

    The rows are locked in id order first, so an acceptance racing the batch either commits
    before (and is no longer open here) or waits and then finds the offer lapsed.
    """
    due = list(
        Application.objects.select_for_update()
        .filter(
            status=Application.Status.APPROVED,
            offer_status=Application.OfferStatus.OPEN,
            offer_expires_on__lt=as_of,
        )
        .order_by("pk")
        .values_list("pk", "borrower_id", "offer_expires_on")
    )
    if not due:
        return 0
    Application.objects.filter(pk__in=[pk for pk, _, _ in due]).update(
        offer_status=Application.OfferStatus.LAPSED, offer_answered_at=timezone.now()
    )
    audit_record_many(
        [
            {
                "action": "lending.offer_lapsed",
                "subject_type": "application",
                "subject_id": pk,
                "before": {"offer_status": Application.OfferStatus.OPEN},
                "after": {
                    "offer_status": Application.OfferStatus.LAPSED,
                    "as_of": as_of.isoformat(),
                },
            }
            for pk, _, _ in due
        ]
    )
    notification_send_each(
        notifications=[
            Notification(
                user_id=borrower_id,
                kind="offer_lapsed",
                title=notice(
                    gettext_lazy("Your loan offer for application %(application)s has lapsed"),
                    application=pk,
                ),
                body=notice(
                    gettext_lazy(
                        "It was not accepted by %(expires_on)s, so the loan was not listed and "
                        "nothing was charged. You may apply again."
                    ),
                    expires_on=f"{expires_on:%Y-%m-%d}",
                ),
                subject_type="offer",
                subject_id=str(pk),
            )
            for pk, borrower_id, expires_on in due
        ]
    )
    return len(due)
