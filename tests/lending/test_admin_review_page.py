"""The review decision on an application's own admin page: the bureau report beside income,
obligations and debt-to-income; Approve and Reject with a required reason, through the same
service as the bulk actions (audited, refused for anyone but a reviewer)."""

import os
from decimal import Decimal as D

import pytest
from django.urls import reverse

from core.audit import AuditEvent
from lending.models import Application
from lending.schedules import annuity_payment
from lending.services.applications import application_review
from tests.lending.conftest import national_id_scoring, submit_application

SHOTS = os.environ.get("OPS_SHOTS_DIR", "/tmp/shots-ops")


@pytest.fixture
def queued(make_user, onboarding, product):
    """A grade-C application (a reviewer's case) from a borrower declaring 20,000.00 income
    and 2,000.00 obligations a month."""
    key = national_id_scoring(650, 699, overdue=0, other_max=D("0"))
    user = onboarding.borrower(make_user("borrower"), national_id=key)
    app = application_review(application_id=submit_application(user, product).id)
    assert app.status == "under_review"
    return app


def _page(client, app) -> str:
    return client.get(reverse("admin:lending_application_change", args=[app.pk])).content.decode()


def _decide(client, app, **data):
    url = reverse("admin:lending_application_decide", args=[app.pk])
    return client.post(url, data, follow=True)


@pytest.mark.django_db
def test_page_shows_income_obligations_and_debt_to_income_beside_the_report(
    client, reviewer, queued
):
    client.force_login(reviewer)
    page = _page(client, queued)
    installment = annuity_payment(queued.amount, queued.annual_rate, queued.term_months)
    with_loan = ((D("2000") + installment) * 100 / D("20000")).quantize(D("0.1"))
    assert "Credit bureau report" in page and "Overdue records, last 6 months" in page
    assert "Monthly income" in page and "20,000.00 CNY" in page
    assert "Monthly obligations" in page and "2,000.00 CNY" in page
    assert 'Debt-to-income now</th><td class="num">10.0%' in page
    assert f"{installment:,.2f} CNY" in page
    assert f"{with_loan}%" in page
    assert 'name="decision" value="approve"' in page and 'name="decision" value="reject"' in page
    assert "textarea" in page and "required" in page


@pytest.mark.django_db
def test_decision_without_a_reason_changes_nothing(client, reviewer, queued):
    client.force_login(reviewer)
    response = _decide(client, queued, decision="approve", reason="   ")
    assert response.status_code == 200
    assert "nothing decided" in response.content.decode()
    assert Application.objects.get(pk=queued.pk).status == "under_review"
    assert not AuditEvent.objects.filter(action="lending.application_approved").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("decision", ["maybe", ""])
def test_an_unknown_decision_changes_nothing(client, reviewer, queued, decision):
    client.force_login(reviewer)
    _decide(client, queued, decision=decision, reason="looks fine")
    assert Application.objects.get(pk=queued.pk).status == "under_review"


@pytest.mark.django_db
@pytest.mark.parametrize(("decision", "status"), [("approve", "approved"), ("reject", "rejected")])
def test_reviewer_decides_from_the_page_with_a_reason(client, reviewer, queued, decision, status):
    client.force_login(reviewer)
    response = _decide(client, queued, decision=decision, reason="Payslips for 6 months match.")
    app = Application.objects.get(pk=queued.pk)
    assert app.status == status and app.reviewed_by_id == reviewer.pk
    assert "reviewer:Payslips for 6 months match." in app.decision_reasons
    event = AuditEvent.objects.get(action=f"lending.application_{status}")
    assert event.actor_id == reviewer.pk and event.after["reason"] == "Payslips for 6 months match."
    page = response.content.decode()
    assert response.redirect_chain[-1][0].endswith(f"/lending/application/{queued.pk}/change/")
    assert f"{queued.pk}: {status}." in page
    # Decided: the buttons are gone, the outcome and the reviewer are shown.
    assert 'name="decision"' not in page and f"decided by {reviewer}" in page


@pytest.mark.django_db
def test_a_second_decision_is_refused_with_a_message(client, reviewer, queued):
    client.force_login(reviewer)
    _decide(client, queued, decision="reject", reason="Income not verifiable.")
    page = _decide(client, queued, decision="approve", reason="Changed my mind.").content.decode()
    assert Application.objects.get(pk=queued.pk).status == "rejected"
    assert "errorlist" in page or "error" in page


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["approver", "operations", "compliance"])
def test_other_staff_see_no_buttons_and_cannot_decide(client, make_user, queued, role):
    client.force_login(make_user(role))
    page = client.get(reverse("admin:lending_application_change", args=[queued.pk]))
    if page.status_code == 200:
        assert 'name="decision"' not in page.content.decode()
    response = client.post(
        reverse("admin:lending_application_decide", args=[queued.pk]),
        {"decision": "approve", "reason": "ok"},
    )
    assert response.status_code in (302, 403)
    assert Application.objects.get(pk=queued.pk).status == "under_review"


@pytest.mark.django_db
def test_decide_url_refuses_get(client, reviewer, queued):
    client.force_login(reviewer)
    response = client.get(reverse("admin:lending_application_decide", args=[queued.pk]))
    assert response.status_code == 405
    assert Application.objects.get(pk=queued.pk).status == "under_review"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1280, 390])
def test_reviewer_approves_on_the_application_page_in_a_browser(
    live_server, page_login, reviewer, queued, width
):
    os.makedirs(SHOTS, exist_ok=True)
    page = page_login(reviewer)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/admin/lending/application/{queued.pk}/change/")
    assert page.locator("#affordability").is_visible()
    assert "Debt-to-income with this loan" in page.inner_text("#affordability")
    page.screenshot(path=f"{SHOTS}/review_page_{width}.png", full_page=True)
    # The browser holds an empty reason back (required); nothing is decided.
    page.click("button[name=decision][value=approve]")
    assert page.locator("#id_decision_reason").evaluate("e => !e.checkValidity()")
    assert Application.objects.get(pk=queued.pk).status == "under_review"
    page.fill("#id_decision_reason", "Employer confirmed by phone; payslips match.")
    page.click("button[name=decision][value=approve]")
    page.wait_for_selector(f"text={queued.pk}: approved.")
    page.screenshot(path=f"{SHOTS}/review_decided_{width}.png", full_page=True)
    assert Application.objects.get(pk=queued.pk).status == "approved"
    assert page.locator("button[name=decision]").count() == 0
    width_used = page.evaluate("document.scrollingElement.scrollWidth")
    assert width_used <= width, f"{width_used}px wide at {width}px"
