"""The final offer: an approval makes it, only its acceptance lists the loan (with its
agreement, hashed and audited), a decline or a lapse closes it and moves no money, and the
cost ceiling keeps every offer under the legal maximum."""

import hashlib
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts import pii
from core.audit import AuditContext, AuditEvent
from custody.models import JournalEntry
from lending.business_date import business_date, business_date_set
from lending.models import Application, Loan, LoanAgreement, Notification
from lending.selectors import borrower_headroom
from lending.services.applications import application_decide, application_review
from lending.services.batch import DAILY_STEPS, run_daily
from lending.services.investments import investment_place
from lending.services.offers import offer_accept, offer_decline, offer_make, offers_lapse
from tests.ledger import assert_ledger_holds, available, reserved
from tests.lending.conftest import national_id_scoring, submit_application
from tests.lending.factories import ApplicationFactory

pytestmark = pytest.mark.django_db

CONTEXT = AuditContext(ip_address="203.0.113.9", user_agent="OfferTest/1.0")


def offered(borrower, product, **kw) -> Application:
    """An application approved with its final offer open (grade B at 10%, 10,000 over 12
    months, equal installments), as the review leaves it."""
    fields = {"amount": D("10000.00"), "grade": "B", "annual_rate": D("0.100000")}
    fields.update(kw)
    application = ApplicationFactory(
        borrower=borrower, product=product, status=Application.Status.UNDER_REVIEW, **fields
    )
    offer_make(application, today=business_date())
    application.status = Application.Status.APPROVED
    application.save()
    return application


@pytest.fixture
def offer(borrower, product):
    return offered(borrower, product)


# --- The offer ---------------------------------------------------------------------------


def test_an_offer_states_its_apr_with_the_fee_and_its_last_day(offer, product):
    assert offer.offer_status == "open"
    # A 2% fee on 10,000 over 12 months adds about 3.6 points to the 10% rate.
    assert D("0.13") < offer.offer_apr < D("0.14")
    assert offer.offer_expires_on == business_date() + timedelta(days=product.offer_window_days)
    assert D(offer.offer_terms["service_fee_rate"]) == D("0.02")


def test_an_approved_application_is_not_listed_before_acceptance(
    make_user, onboarding, product, api_client
):
    key = national_id_scoring(760, 849, overdue=0, other_max=D("0"))
    user = onboarding.borrower(make_user("borrower"), national_id=key)
    application = application_review(application_id=submit_application(user, product).id)
    assert application.status == "approved" and application.offer_status == "open"
    assert not Loan.objects.exists()
    assert api_client.get(reverse("api:loan-list")).json()["results"] == []
    offer_accept(application_id=application.pk, borrower=user)
    assert Loan.objects.get(application=application).status == "open"


def test_an_open_offer_is_the_one_application_in_flight(offer, borrower, product):
    with pytest.raises(Exception) as exc:
        submit_application(borrower, product)
    assert exc.value.code == "application_already_open"
    # The database says so too, whatever the code does.
    with pytest.raises(IntegrityError), transaction.atomic():
        ApplicationFactory(borrower=borrower, product=product, status="submitted")
    offer_decline(application_id=offer.pk, borrower=borrower)
    assert submit_application(borrower, product).status == "submitted"


def test_an_open_offer_counts_against_the_borrowing_headroom(offer, borrower):
    assert borrower_headroom(borrower).amount == D("190000.00")  # 200,000 less the 10,000
    offer_decline(application_id=offer.pk, borrower=borrower)
    assert borrower_headroom(borrower).amount == D("200000.00")


# --- Accepting ---------------------------------------------------------------------------


def test_accepting_lists_the_loan_on_the_offered_terms_with_its_agreement_audited(
    offer, borrower, product
):
    product.service_fee_rate = D("0.05")  # changed after the offer: the offer keeps 2%
    product.save()
    application = offer_accept(application_id=offer.pk, borrower=borrower, context=CONTEXT)
    assert application.offer_status == "accepted" and application.offer_answered_at
    loan = Loan.objects.get(application=offer)
    assert loan.status == "open" and loan.annual_rate == D("0.10")
    assert loan.service_fee_rate == D("0.02")
    agreement = LoanAgreement.objects.get(loan=loan)
    with agreement.file.open("rb") as f:
        pdf = f.read()
    assert pdf.startswith(b"%PDF-")
    assert agreement.sha256 == hashlib.sha256(pdf).hexdigest()
    event = AuditEvent.objects.get(action="lending.offer_accepted", subject_id=str(offer.pk))
    assert event.actor_id == borrower.pk
    assert (event.ip_address, event.user_agent) == ("203.0.113.9", "OfferTest/1.0")
    assert event.after["agreement_sha256"] == agreement.sha256
    assert event.after["agreement_version"] == agreement.version
    assert event.after["accepted_at"] and event.after["loan"] == loan.reference
    assert Notification.objects.filter(user=borrower, kind="offer_accepted").exists()


def test_an_offer_is_answered_once(offer, borrower):
    offer_accept(application_id=offer.pk, borrower=borrower)
    for answer in (offer_accept, offer_decline):
        with pytest.raises(Exception) as exc:
            answer(application_id=offer.pk, borrower=borrower)
        assert exc.value.code == "offer_not_open"
    assert Loan.objects.count() == 1 and LoanAgreement.objects.count() == 1


def test_an_offer_past_its_last_day_cannot_be_accepted(offer, borrower):
    business_date_set(on=offer.offer_expires_on + timedelta(days=1))
    with pytest.raises(Exception) as exc:
        offer_accept(application_id=offer.pk, borrower=borrower)
    assert exc.value.code == "offer_expired"
    assert not Loan.objects.exists()


def test_another_borrowers_offer_is_not_found(offer, make_user, onboarding):
    stranger = onboarding.borrower(make_user("borrower"))
    with pytest.raises(Exception) as exc:
        offer_accept(application_id=offer.pk, borrower=stranger)
    assert exc.value.code == "not_found"


# --- Declining and lapsing ---------------------------------------------------------------


def test_declining_releases_nothing_because_nothing_was_reserved(offer, borrower, investor):
    entries = JournalEntry.objects.count()
    balances = (available(investor), reserved(investor), available(borrower))
    application = offer_decline(application_id=offer.pk, borrower=borrower, context=CONTEXT)
    assert application.offer_status == "declined"
    assert not Loan.objects.exists()
    assert JournalEntry.objects.count() == entries  # no money moved
    assert (available(investor), reserved(investor), available(borrower)) == balances
    assert_ledger_holds()
    event = AuditEvent.objects.get(action="lending.offer_declined")
    assert event.ip_address == "203.0.113.9"


def test_the_daily_batch_lapses_offers_past_their_last_day_and_tells_each_borrower(
    borrower, product, make_user, onboarding
):
    first = offered(borrower, product)
    other = onboarding.borrower(make_user("borrower"))
    business_date_set(on=business_date() + timedelta(days=2))
    second = offered(other, product)  # its window ends two days later
    names = [name for name, _ in DAILY_STEPS]
    assert names.index("lapse_offers") == names.index("expire_listings") + 1

    result = run_daily(as_of=first.offer_expires_on)  # the last day: still open
    assert result["lapse_offers"] == 0
    result = run_daily(as_of=first.offer_expires_on + timedelta(days=1))
    assert result["lapse_offers"] == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.offer_status, second.offer_status) == ("lapsed", "open")
    note = Notification.objects.get(user=borrower, kind="offer_lapsed")
    assert note.subject_type == "offer" and note.subject_id == str(first.pk)
    assert AuditEvent.objects.filter(action="lending.offer_lapsed").count() == 1
    assert not Loan.objects.exists()
    # Replaying the day changes nothing; the next window's end lapses the second offer.
    assert offers_lapse(as_of=first.offer_expires_on + timedelta(days=1)) == 0
    assert offers_lapse(as_of=second.offer_expires_on + timedelta(days=1)) == 1
    assert Notification.objects.filter(kind="offer_lapsed").count() == 2
    with pytest.raises(Exception) as exc:
        offer_accept(application_id=first.pk, borrower=borrower)
    assert exc.value.code == "offer_not_open"


# --- The cost ceiling --------------------------------------------------------------------


def test_review_never_offers_above_the_cost_ceiling(make_user, onboarding, product, settings):
    settings.LENDING_COST_CEILING_RATE = D("0.10")  # grade A at 8% + 2% fee is about 11.6%
    key = national_id_scoring(760, 849, overdue=0, other_max=D("0"))
    user = onboarding.borrower(make_user("borrower"), national_id=key)
    application = application_review(application_id=submit_application(user, product).id)
    assert application.status == "rejected"
    assert "apr_above_cost_ceiling" in application.decision_reasons
    assert [r.code for r in application.borrower_reasons] == ["cost_ceiling"]
    assert application.offer_status == "" and not Loan.objects.exists()


def test_a_reviewer_cannot_approve_above_the_cost_ceiling(
    make_user, onboarding, product, reviewer, settings
):
    key = national_id_scoring(650, 699, overdue=0, other_max=D("0"))
    user = onboarding.borrower(make_user("borrower"), national_id=key)
    application = application_review(application_id=submit_application(user, product).id)
    assert application.status == "under_review"
    settings.LENDING_COST_CEILING_RATE = D("0.10")
    with pytest.raises(Exception) as exc:
        application_decide(
            application_id=application.pk, reviewer=reviewer, decision="approve", reason="ok"
        )
    assert exc.value.code == "apr_above_cost_ceiling"
    assert Application.objects.get(pk=application.pk).status == "under_review"


# --- API ---------------------------------------------------------------------------------


def test_the_application_api_shows_the_offer(api_client, offer, borrower):
    api_client.force_authenticate(borrower)
    body = api_client.get(reverse("api:application-detail", kwargs={"pk": offer.pk})).json()
    got = body["offer"]
    assert got["status"] == "open" and got["grade"] == "B"
    assert got["annual_rate"] == "0.100000" and got["apr"] == str(offer.offer_apr)
    assert got["service_fee_amount"] == "200.00" and got["net_amount"] == "9800.00"
    assert len(got["schedule"]) == 12
    interest = sum(D(line["interest_amount"]) for line in got["schedule"])
    assert D(got["total_cost_amount"]) == interest + D("200.00")
    assert got["expires_on"] == offer.offer_expires_on.isoformat()
    assert body["loan_id"] is None


def test_accept_and_decline_through_the_api(api_client, borrower, product, make_user, onboarding):
    offer = offered(borrower, product)
    stranger = onboarding.borrower(make_user("borrower"))
    accept = reverse("api:application-accept", kwargs={"pk": offer.pk})
    decline = reverse("api:application-decline", kwargs={"pk": offer.pk})
    api_client.force_authenticate(stranger)
    assert api_client.post(accept).status_code == 404
    assert api_client.post(decline).status_code == 404
    api_client.force_authenticate(borrower)
    response = api_client.post(accept, HTTP_USER_AGENT="App/2.0")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["offer"]["status"] == "accepted" and body["loan_id"]
    again = api_client.post(decline)
    assert again.status_code == 409 and again.json()["code"] == "offer_not_open"
    event = AuditEvent.objects.get(action="lending.offer_accepted")
    assert event.user_agent == "App/2.0"


def test_declining_through_the_api(api_client, offer, borrower):
    api_client.force_authenticate(borrower)
    url = reverse("api:application-decline", kwargs={"pk": offer.pk})
    response = api_client.post(url)
    assert response.status_code == 200 and response.json()["offer"]["status"] == "declined"
    assert not Loan.objects.exists()


# --- Pages -------------------------------------------------------------------------------


def test_the_offer_page_shows_every_term_and_the_list_links_to_it(client, offer, borrower):
    client.force_login(borrower)
    listing = client.get(reverse("lending:application-list")).content.decode()
    url = reverse("lending:application-offer", args=[offer.pk])
    assert url in listing and "Your loan offer is ready" in listing
    page = client.get(url).content.decode()
    for text in (
        "10.00%",  # the rate
        f"{offer.offer_apr * 100:.2f}%",  # the APR
        "200.00",  # the service fee
        "9,800.00",  # what the borrower receives
        offer.offer_expires_on.isoformat(),
        "Accept the offer",
        "Decline the offer",
    ):
        assert text in page, text
    assert page.count("<tr><td>") >= 12  # the schedule


def test_accepting_on_the_page_needs_the_confirmation_then_lists(client, offer, borrower):
    client.force_login(borrower)
    url = reverse("lending:application-offer-accept", args=[offer.pk])
    response = client.post(url)
    assert response.status_code == 302 and not Loan.objects.exists()
    response = client.post(url, {"confirm": "yes"}, HTTP_USER_AGENT="Browser/1")
    loan = Loan.objects.get(application=offer)
    assert response["Location"] == reverse("lending:borrowing-detail", args=[loan.pk])
    page = client.get(response["Location"]).content.decode()
    assert reverse("lending:loan-agreement", args=[loan.pk]) in page
    assert AuditEvent.objects.get(action="lending.offer_accepted").user_agent == "Browser/1"


def test_declining_on_the_page(client, offer, borrower):
    client.force_login(borrower)
    response = client.post(reverse("lending:application-offer-decline", args=[offer.pk]))
    assert response["Location"] == reverse("lending:application-list")
    offer.refresh_from_db()
    assert offer.offer_status == "declined"
    page = client.get(reverse("lending:application-list")).content.decode()
    assert "Offer declined" in page


def test_another_borrowers_offer_page_is_404(client, offer, make_user, onboarding):
    client.force_login(onboarding.borrower(make_user("borrower")))
    assert client.get(reverse("lending:application-offer", args=[offer.pk])).status_code == 404
    url = reverse("lending:application-offer-accept", args=[offer.pk])
    assert client.post(url, {"confirm": "yes"}).status_code == 404
    assert not Loan.objects.exists()


def test_the_apply_page_shows_the_apr_beside_each_grades_rate(client, borrower, product):
    client.force_login(borrower)
    page = client.get(
        reverse("lending:application-preview"),
        {
            "product": product.pk,
            "amount": "10000",
            "term_months": "12",
            "method": "equal_installment",
        },
    ).content.decode()
    assert page.count('data-field="apr"') == 5  # grades A to E
    assert "APR" in page


# --- The agreement -----------------------------------------------------------------------


def test_the_agreement_is_downloadable_by_the_borrower_and_investors_only(
    client, offer, borrower, investor, make_user, onboarding
):
    offer_accept(application_id=offer.pk, borrower=borrower)
    loan = Loan.objects.get(application=offer)
    Loan.objects.filter(pk=loan.pk).update(auto_invest_done_at=timezone.now())
    agreement = LoanAgreement.objects.get(loan=loan)
    url = reverse("lending:loan-agreement", args=[loan.pk])

    client.force_login(borrower)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = b"".join(response.streaming_content)
    assert hashlib.sha256(pdf).hexdigest() == agreement.sha256 == response["X-Agreement-SHA256"]

    client.force_login(investor)
    assert client.get(url).status_code == 404  # no ticket yet
    investment_place(investor=investor, loan_id=loan.pk, amount=D("500"), idempotency_key="k1")
    response = client.get(url)
    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == agreement.sha256
    assert (
        reverse("lending:loan-agreement", args=[loan.pk])
        in client.get(reverse("lending:loan-detail", args=[loan.pk])).content.decode()
    )

    for other in (make_user("investor"), onboarding.borrower(make_user("borrower"))):
        client.force_login(other)
        assert client.get(url).status_code == 404
        assert (
            b"agreement.pdf"
            not in client.get(reverse("lending:loan-detail", args=[loan.pk])).content
        )
    client.logout()
    assert client.get(url).status_code == 302  # sign in first


def test_the_agreement_names_the_borrower_only_by_the_masked_name(make_user, product):
    """One document for all parties: an investor's copy shows no legal name or ID."""
    from lending.services.agreements import agreement_html
    from tests.accounts.onboarding import make_borrower

    borrower = make_borrower(make_user)
    application = offered(borrower, product)
    offer_accept(application_id=application.pk, borrower=borrower)
    loan = Loan.objects.get(application=application)
    html = agreement_html(loan=loan, accepted_at=application.offer_answered_at, apr=D("0.1"))
    identity = borrower.identity
    assert identity.legal_name_masked in html
    assert pii.decrypt(identity.legal_name_encrypted) == "王小明" and "王小明" not in html
    national_id = pii.decrypt(identity.national_id_encrypted)
    assert national_id not in html and identity.national_id_masked not in html
    assert loan.reference in html and "Repayment schedule" in html


def test_the_dashboard_points_the_borrower_to_the_open_offer(client, make_user, product):
    from tests.accounts.onboarding import make_borrower

    borrower = make_borrower(make_user)
    client.force_login(borrower)
    assert b'data-action="see-offer"' not in client.get("/dashboard/").content
    application = offered(borrower, product)
    page = client.get("/dashboard/").content.decode()
    assert reverse("lending:application-offer", args=[application.pk]) in page
    offer_decline(application_id=application.pk, borrower=borrower)
    assert b'data-action="see-offer"' not in client.get("/dashboard/").content
