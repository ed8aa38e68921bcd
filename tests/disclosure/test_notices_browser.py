"""Event notices, the institution page and the holder-only loan disclosure in Chromium: each
fits a phone (no sideways scrolling) and a desktop. Set SCREENSHOTS=dir to keep them."""

import os
from datetime import date
from pathlib import Path

import pytest

from disclosure.services.institution import Upload, institution_document_upload
from disclosure.services.loan_disclosure import borrower_situation_record
from lending.services.batch import run_daily
from lending.services.collections import loan_update_post
from tests.disclosure.notices import published
from tests.lending.servicing import repaying_loan

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SIZES = {"1280": {"width": 1280, "height": 900}, "390": {"width": 390, "height": 844}}
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _shoot(page, name: str) -> None:
    folder = os.environ.get("SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def _each_size(page, name: str, part: str | None = None) -> None:
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        assert page.evaluate("document.documentElement.scrollWidth") == viewport["width"], size
        _shoot(page, f"{name}-{size}")
        folder = os.environ.get("SCREENSHOTS")
        if part and folder:
            page.locator(part).screenshot(path=f"{folder}/{name}-{size}-part.png")


def test_home_banner_archive_and_institution_pages(page, live_server, make_user):
    ops, checker = make_user("operations"), make_user("compliance")
    published(
        ops,
        checker,
        title="Planned service interruption on Sunday 8 March, 01:00 to 05:00",
        category="service_interruption",
        body="We are moving to new servers. Deposits, withdrawals and investing pause for four "
        "hours; repayments due that night are taken the next morning with no late charge.",
    )
    published(ops, checker)
    institution_document_upload(
        kind="audit_report",
        title="Independent audit report on client money, 2025",
        period="FY 2025",
        upload=Upload(name="audit-2025.pdf", data=PDF),
        actor=ops,
    )
    institution_document_upload(
        kind="risk_assessment",
        title="Information security level-3 assessment",
        upload=Upload(name="mlps.pdf", data=PDF * 300),
        actor=ops,
    )

    page.goto(f"{live_server.url}/")
    page.wait_for_selector(".notice-banner")
    assert page.locator(".notice-banner").count() == 2
    _each_size(page, "home-banner")

    page.click("text=All notices >> nth=0")
    page.wait_for_selector("h1:has-text('Major event notices')")
    _each_size(page, "notices-archive")

    page.click("text=Planned service interruption")
    page.wait_for_selector(".notice-body")
    assert "no late charge" in page.inner_text("main")
    _each_size(page, "notice-detail")

    page.goto(f"{live_server.url}/disclosure/institution/")
    page.wait_for_selector("#documents")
    text = page.inner_text("main")
    assert "Independent audit report" in text and "Custodian bank" in text
    _each_size(page, "institution")


def test_the_loan_page_disclosure_for_a_holder(
    page_login, live_server, make_user, onboarding, product
):
    loan = repaying_loan(make_user, onboarding, product)
    run_daily(as_of=date(2026, 3, 2), since=date(2026, 2, 14))
    loan_update_post(
        loan_id=loan.pk,
        text="We reached the borrower, who expects to pay the overdue installment this month.",
        actor=make_user("collections"),
    )
    borrower_situation_record(
        loan_id=loan.pk,
        occurred_on=date(2026, 3, 1),
        text="The borrower changed jobs in February and now earns about a fifth less.",
        actor=make_user("operations"),
    )
    page = page_login(loan.investments.order_by("id").first().investor)
    page.goto(f"{live_server.url}/marketplace/{loan.pk}/")
    page.wait_for_selector("#holder-disclosure")
    text = page.inner_text("#holder-disclosure")
    assert "Behind on repayments" in text and "earns about a fifth less" in text
    assert "next due 2026-03-15" in text  # the next still to fall due, not the overdue one
    _each_size(page, "loan-holder-disclosure", part="#holder-disclosure")
