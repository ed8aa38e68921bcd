"""The investor's portfolio page: money in loans by state, 20 investments a page, and a
Cancel button only where a cancel would be taken."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from lending.models import Investment, Loan
from lending.services.investments import investment_place
from tests.lending.factories import LoanFactory

pytestmark = pytest.mark.django_db

PAGE = reverse("lending:investment-list")


def _place(investor, loan, amount: str, key: str) -> Investment:
    return investment_place(
        investor=investor, loan_id=loan.pk, amount=D(amount), idempotency_key=key
    )


def _cancel_buttons(html: str) -> int:
    return html.count('href="/invest/investments/')


def test_totals_count_reserved_and_lent_money_by_loan(client, investor, open_loan, product):
    other = LoanFactory(borrower=open_loan.borrower, product=product, amount=D("5000.00"))
    lent = LoanFactory(borrower=open_loan.borrower, product=product, amount=D("5000.00"))
    _place(investor, open_loan, "300.00", "a")
    _place(investor, open_loan, "200.00", "b")
    _place(investor, other, "100.00", "c")
    active = _place(investor, lent, "1000.00", "d")
    cancelled = _place(investor, other, "400.00", "e")
    Investment.objects.filter(pk=active.pk).update(status=Investment.Status.ACTIVE)
    Investment.objects.filter(pk=cancelled.pk).update(status=Investment.Status.CANCELLED)

    client.force_login(investor)
    resp = client.get(PAGE)
    assert resp.context["totals"] == {
        "reserved": {"amount": D("600.00"), "loans": 2},
        "active": {"amount": D("1000.00"), "loans": 1},
    }
    html = resp.content.decode()
    assert "600.00" in html and "In 2 loans still being funded" in html
    assert "1,000.00" in html and "In 1 loan being repaid" in html


def test_investments_are_listed_20_a_page_newest_first(client, investor, open_loan):
    placed = [_place(investor, open_loan, "100.00", f"k{i}") for i in range(25)]
    client.force_login(investor)
    first = client.get(PAGE)
    assert [i.pk for i in first.context["page"].object_list] == [i.pk for i in placed[::-1][:20]]
    assert "Page 1 of 2 · 25 investments" in first.content.decode()
    second = client.get(PAGE + "?page=2")
    assert [i.pk for i in second.context["page"].object_list] == [i.pk for i in placed[4::-1]]
    assert client.get(PAGE + "?page=abc").context["page"].number == 1


def test_cancel_is_offered_only_while_a_cancel_would_be_taken(client, investor, open_loan, product):
    fresh = _place(investor, open_loan, "100.00", "fresh")
    late = _place(investor, open_loan, "100.00", "late")
    Investment.objects.filter(pk=late.pk).update(created_at=timezone.now() - timedelta(hours=25))
    funded = LoanFactory(borrower=open_loan.borrower, product=product, amount=D("100.00"))
    _place(investor, funded, "100.00", "funded")
    assert Loan.objects.get(pk=funded.pk).status == Loan.Status.FUNDED

    client.force_login(investor)
    html = client.get(PAGE).content.decode()
    assert _cancel_buttons(html) == 1
    assert f'href="/invest/investments/{fresh.pk}/cancel/"' in html
    until = timezone.localtime(Investment.objects.get(pk=fresh.pk).cancellable_until())
    assert f"until {until:%Y-%m-%d %H:%M}" in html
    # The page and the service agree: the one it offers is taken, the late one refused.
    confirmed = {"confirmed": "yes"}
    late_url = reverse("lending:investment-cancel", args=[late.pk])
    assert b"cannot be cancelled" in client.get(late_url).content
    assert client.post(late_url, confirmed).status_code == 302
    assert Investment.objects.get(pk=late.pk).status == Investment.Status.RESERVED
    client.post(reverse("lending:investment-cancel", args=[fresh.pk]), confirmed)
    assert Investment.objects.get(pk=fresh.pk).status == Investment.Status.CANCELLED


def test_cancel_asks_for_confirmation_first(client, investor, open_loan):
    from tests.ledger import available

    investment = _place(investor, open_loan, "300.00", "confirm-me")
    url = reverse("lending:investment-cancel", args=[investment.pk])
    client.force_login(investor)
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "Cancel this investment?" in html
    assert "returns to your available balance" in html and 'name="confirmed"' in html
    # Neither asking nor a POST without the confirmation cancels anything.
    assert b"Cancel this investment?" in client.post(url).content
    assert Investment.objects.get(pk=investment.pk).status == Investment.Status.RESERVED
    assert available(investor) == D("49700.00")
    done = client.post(url, {"confirmed": "yes"}, follow=True)
    assert b"cancelled; the money is available again" in done.content
    assert Investment.objects.get(pk=investment.pk).status == Investment.Status.CANCELLED
    assert available(investor) == D("50000.00")


def test_cancel_of_another_investors_investment_is_404(
    client, investor, open_loan, make_user, onboarding
):
    investment = _place(investor, open_loan, "100.00", "mine")
    client.force_login(onboarding.investor(make_user("investor")))
    url = reverse("lending:investment-cancel", args=[investment.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"confirmed": "yes"}).status_code == 404
    assert Investment.objects.get(pk=investment.pk).status == Investment.Status.RESERVED
