"""Lending pages: each renders for its role, refuses others, and the write pages work."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from lending.models import Application, AutoInvestRule, Investment
from tests.ledger import fund

pytestmark = pytest.mark.django_db


def test_marketplace_is_public_and_filters(client, open_loan):
    resp = client.get(reverse("lending:loan-list"))
    assert resp.status_code == 200
    assert open_loan.reference in resp.content.decode()
    resp = client.get(reverse("lending:loan-list") + "?grade=A")
    assert open_loan.reference not in resp.content.decode()


def test_loan_detail_masks_for_anonymous_and_discloses_when_signed_in(client, open_loan, investor):
    page = client.get(reverse("lending:loan-detail", kwargs={"pk": open_loan.pk})).content.decode()
    assert "Risk warning" in page and "Z*** W**" not in page
    client.force_login(investor)
    page = client.get(reverse("lending:loan-detail", kwargs={"pk": open_loan.pk})).content.decode()
    assert "Z*** W**" in page and "Review investment" in page


def test_invest_confirms_then_places_once(client, open_loan, investor):
    client.force_login(investor)
    url = reverse("lending:loan-invest", kwargs={"pk": open_loan.pk})
    confirm = client.post(url, {"amount": "300"})
    assert confirm.status_code == 200 and "Confirm your investment" in confirm.content.decode()
    key = confirm.context["form"].initial["idempotency_key"]
    for _ in range(2):  # a double submit invests once
        done = client.post(url, {"amount": "300", "confirmed": "True", "idempotency_key": key})
        assert done.status_code == 302
    assert Investment.objects.get().amount == D("300")
    assert client.get(reverse("lending:investment-list")).status_code == 200


@pytest.mark.parametrize(
    ("setup", "amount", "status", "says"),
    [
        # open_loan is grade B; this investor may hold grade A only.
        ("grade_a_only", "100", 403, "above your risk level"),
        ("poor", "300", 409, "available balance"),
        (None, "10100", 409, "10,000.00 CNY left"),
        ("small_limit", "300", 400, "limit per loan is 200.00 CNY"),
    ],
)
def test_invest_refuses_before_the_confirmation_what_it_would_refuse_after(
    client, open_loan, make_user, onboarding, setup, amount, status, says
):
    """Never ask to confirm an investment the placement would refuse."""
    user = make_user("investor")
    onboarding.investor(
        user,
        max_grade="A" if setup == "grade_a_only" else "E",
        per_loan=D("200") if setup == "small_limit" else D("100000"),
    )
    fund(user, "100.00" if setup == "poor" else "50000.00")
    client.force_login(user)
    url = reverse("lending:loan-invest", kwargs={"pk": open_loan.pk})
    resp = client.post(url, {"amount": amount})
    body = resp.content.decode()
    assert resp.status_code == status, body[:500]
    assert "Confirm your investment" not in body and says in body
    assert not Investment.objects.exists()


def test_invest_refusal_is_shown_on_the_page(client, open_loan, investor):
    client.force_login(investor)
    url = reverse("lending:loan-invest", kwargs={"pk": open_loan.pk})
    resp = client.post(url, {"amount": "150", "confirmed": "True", "idempotency_key": "x"})
    assert resp.status_code == 400 and "multiples of 100.00" in resp.content.decode()
    assert not Investment.objects.exists()


def test_apply_page_previews_and_submits(client, borrower, product):
    client.force_login(borrower)
    page = client.get(reverse("lending:application-create"))
    assert page.status_code == 200 and "Total cost" in page.content.decode()
    preview = client.get(
        reverse("lending:application-preview"),
        {
            "product": product.pk,
            "amount": "10000",
            "term_months": "12",
            "method": "equal_installment",
        },
    )
    assert "10,000.00" in preview.content.decode()
    resp = client.post(
        reverse("lending:application-create"),
        {
            "product": product.pk,
            "amount": "20000",
            "term_months": "12",
            "method": "equal_installment",
            "purpose": "education",
        },
    )
    assert resp.status_code == 302
    assert Application.objects.get().borrower == borrower
    assert client.get(reverse("lending:application-list")).status_code == 200


def test_apply_preview_shows_known_schedule(client, borrower, product):
    product.rates_by_grade = {"C": "0.12"}
    product.save()
    client.force_login(borrower)
    preview = client.get(
        reverse("lending:application-preview"),
        {
            "product": product.pk,
            "amount": "10000",
            "term_months": "12",
            "method": "equal_installment",
        },
    ).content.decode()
    assert "888.49" in preview and "888.47" in preview


def test_borrower_pages_refuse_investors(client, investor):
    client.force_login(investor)
    assert client.get(reverse("lending:application-create")).status_code == 403
    assert client.get(reverse("lending:borrowing-list")).status_code == 403


def test_auto_invest_rule_page_saves_a_rule(client, investor):
    client.force_login(investor)
    resp = client.post(
        reverse("lending:auto-invest-rule-list"),
        {
            "grades": ["A", "B"],
            "min_term_months": 3,
            "max_term_months": 24,
            "min_rate": "5",
            "max_rate": "15",
            "amount_per_loan": "500",
            "keep_cash_amount": "1000",
            "max_borrower_share": "20",
        },
    )
    assert resp.status_code == 302
    rule = AutoInvestRule.objects.get(investor=investor)
    assert rule.max_rate == D("0.15") and rule.max_borrower_share == D("0.2")


@pytest.mark.parametrize(
    ("url", "noun"),
    [("lending:borrowing-list", "loans"), ("lending:application-list", "applications")],
)
def test_borrower_lists_page_through_everything_instead_of_cutting_it_off(
    client, borrower, product, url, noun
):
    """A borrower with more than a page sees every row across the pages (the lists used to
    stop at the newest 50)."""
    from tests.lending.factories import LoanFactory

    loans = [LoanFactory(borrower=borrower, product=product) for _ in range(55)]
    client.force_login(borrower)
    first = client.get(reverse(url))
    assert f"Page 1 of 3 · 55 {noun}" in first.content.decode()
    last = client.get(reverse(url) + "?page=3")
    shown = last.context["loans" if noun == "loans" else "applications"]
    assert len(shown) == 15
    oldest = loans[0] if noun == "loans" else loans[0].application
    assert shown[-1].pk == oldest.pk
