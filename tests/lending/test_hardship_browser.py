"""Hardship and loan updates in Chromium: the borrower previews the new schedule and sends the
request; after approval the investor's loan page shows the update and their new expected
payments; both fit a phone. Set SCREENSHOTS=dir to keep the pages as images."""

import os
from pathlib import Path

import pytest

from lending.models import HardshipRequest
from lending.services.collections import loan_update_post
from lending.services.hardship import hardship_request_decide
from tests.lending.servicing import repaying_loan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def _shoot(page, name: str) -> None:
    folder = os.environ.get("SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def _fits(page) -> None:
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") == width


def test_hardship_preview_then_request_then_the_investors_page(
    page_login, live_server, make_user, onboarding, product
):
    loan = repaying_loan(make_user, onboarding, product)
    page = page_login(loan.borrower)
    page.goto(f"{live_server.url}/borrow/loans/{loan.pk}/")
    page.click("text=Ask for help")
    page.wait_for_selector("text=A payment holiday or a longer term")
    page.check("input[value=payment_holiday]")
    page.select_option("select[name=months]", "3")
    page.fill("textarea[name=reason]", "I was in hospital for a month and am back at work in May.")
    _shoot(page, "hardship-form-1280")
    page.click("text=See my new schedule")
    page.wait_for_selector("#hardship-preview")
    assert "extra interest" in page.inner_text("main").lower()
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        _fits(page)
        _shoot(page, f"hardship-preview-{size}")
    page.set_viewport_size(SIZES["desktop"])
    page.click("text=Send my request")
    page.wait_for_selector("text=waiting for a decision")
    _shoot(page, "hardship-waiting-1280")
    request = HardshipRequest.objects.get()
    hardship_request_decide(
        request_id=request.pk, decider=make_user("operations"), decision="approve"
    )
    loan_update_post(
        loan_id=loan.pk,
        text="We spoke to the borrower, who is back at work and expects to pay as rescheduled.",
        actor=make_user("collections"),
    )

    investor = loan.investments.order_by("id").first().investor
    page = page_login(investor)
    page.goto(f"{live_server.url}/marketplace/{loan.pk}/")
    page.wait_for_selector("#expected-payments")
    text = page.inner_text("main")
    assert "Your expected payments" in text and "payment holiday" in text
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        _fits(page)
        _shoot(page, f"loan-updates-{size}")


def test_the_collections_queue_in_the_admin(
    page_login, live_server, make_user, onboarding, product
):
    from datetime import timedelta
    from decimal import Decimal as D

    from lending.models import CollectionCase, Loan

    for days, bucket, overdue in ((12, "1-30", "888.49"), (45, "31-60", "1776.98")):
        loan = repaying_loan(make_user, onboarding, product)
        Loan.objects.filter(pk=loan.pk).update(days_past_due=days, delinquency_bucket=bucket)
        CollectionCase.objects.create(
            loan=loan,
            opened_on=loan.disbursed_on + timedelta(days=30),
            bucket=bucket,
            overdue_amount=D(overdue),
        )
    page = page_login(make_user("collections"))
    page.goto(f"{live_server.url}/admin/lending/collectioncase/")
    page.wait_for_selector("#result_list")
    assert "1,776.98 CNY" in page.inner_text("#result_list")
    _shoot(page, "collections-queue-1280")
