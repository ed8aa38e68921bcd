"""The main pages in Simplified Chinese, in Chromium at 1280 and 390 px: chosen with the
footer's switch (investor), kept on the account (borrower) or asked for by the browser
(a visitor); every page is in Chinese and none scrolls sideways on a phone (Chinese text has
no spaces to break at; it must still wrap). Needs a CJK font (fonts-wqy-zenhei) to render the
glyphs; screenshots go to $LAYOUT_SHOTS_DIR."""

import os
import re
from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from compliance.services.filings import filing_generate
from compliance.services.inspections import Upload as InspectionUpload
from compliance.services.inspections import inspection_answer, inspection_raise
from custody.models import ReconciliationRun
from disclosure.models import EventNotice
from disclosure.services.institution import Upload, institution_document_upload
from disclosure.services.statistics import statistics_snapshot_take
from lending.business_date import business_date, business_date_set
from lending.services.applications import application_review
from lending.services.disbursements import disbursement_start
from lending.services.investments import investment_place
from promotion.services.referrals import referral_settle
from tests.compliance.filings_book import make_book
from tests.disclosure.notices import published
from tests.disclosure.statistics_book import build_book
from tests.ledger import fund
from tests.lending.conftest import submit_application
from tests.lending.factories import LoanFactory
from tests.promotion.referrals import invested, referee_of, referrer_and_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("LAYOUT_SHOTS_DIR", "/tmp/shots-layout")
PHONE = 390
HAN = re.compile(r"[\u4e00-\u9fff]")
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def world(make_user, onboarding, product):
    investor = fund(onboarding.investor(make_user("investor")), "90000.00")
    borrower = onboarding.borrower(make_user("borrower"))
    open_loan = LoanFactory(
        borrower=onboarding.borrower(make_user("borrower")),
        product=product,
        amount=D("120000.00"),
        grade="B",
        term_months=24,
        purpose="home_improvement",
        funding_deadline_on=business_date() + timedelta(days=5),
    )
    investment_place(investor=investor, loan_id=open_loan.pk, amount=D("1200"), idempotency_key="o")
    own = LoanFactory(borrower=borrower, product=product, amount=D("12000.00"), term_months=12)
    investment_place(investor=investor, loan_id=own.pk, amount=D("12000"), idempotency_key="own")
    disbursement_start(loan_id=own.pk, maker=make_user("operations"))
    application_review(application_id=submit_application(borrower, product).id)
    return {"investor": investor, "borrower": borrower, "open": open_loan, "own": own}


def _walk(page, base: str, paths: list[str], name: str) -> None:
    os.makedirs(SHOTS, exist_ok=True)
    for path in paths:
        for width in (1280, PHONE):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(base + path)
            slug = path.strip("/").replace("/", "_") or "home"
            page.screenshot(path=f"{SHOTS}/zh_{name}_{slug}_{width}.png", full_page=True)
        assert page.evaluate("document.documentElement.lang") == "zh-Hans", path
        heading = page.locator("main h1").first.inner_text()
        assert HAN.search(heading), f"{path}: heading not in Chinese: {heading!r}"
        wide = page.evaluate("document.scrollingElement.scrollWidth")
        assert wide <= PHONE, f"{path}: {wide} px wide at {PHONE} px"
        # Nothing sticks out of its box either (a long unbroken line inside a card).
        sticking_out = page.evaluate(
            """() => [...document.querySelectorAll('main *')].filter(e => {
                 const r = e.getBoundingClientRect();
                 return r.width > 0 && (r.right > window.innerWidth + 1 || r.left < -1);
               }).map(e => e.tagName + ' ' + e.innerText.slice(0, 30)).slice(0, 5)"""
        )
        assert not sticking_out, f"{path}: off-screen at {PHONE} px: {sticking_out}"


def test_an_investor_switches_to_chinese_and_every_page_fits_a_phone(
    page_login, live_server, world
):
    page = page_login(world["investor"])
    page.goto(f"{live_server.url}/dashboard/")
    with page.expect_navigation(url=f"{live_server.url}/dashboard/"):
        page.locator(".language-switch button[value='zh-hans']").click()
    assert page.locator("main h1").inner_text().startswith("欢迎")
    world["investor"].refresh_from_db()
    assert world["investor"].language == "zh-hans"
    _walk(
        page,
        live_server.url,
        [
            "/dashboard/",
            "/marketplace/",
            f"/marketplace/{world['open'].pk}/",
            "/invest/portfolio/",
            "/invest/auto/",
            "/wallet/",
            "/wallet/history",
            "/notifications/",
            "/settings/",
        ],
        "investor",
    )


def test_a_borrowers_stored_language_shows_every_page_in_chinese(page_login, live_server, world):
    borrower = world["borrower"]
    borrower.language = "zh-hans"
    borrower.save(update_fields=["language"])
    page = page_login(borrower)
    own = world["own"].pk
    _walk(
        page,
        live_server.url,
        [
            "/dashboard/",
            "/borrow/apply/",
            "/borrow/applications/",
            "/borrow/loans/",
            f"/borrow/loans/{own}/",
            f"/borrow/loans/{own}/repay/",
        ],
        "borrower",
    )


def test_a_visitor_whose_browser_asks_for_chinese_gets_it(_chromium, live_server, world):
    context = _chromium.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        _walk(
            page,
            live_server.url,
            ["/", "/accounts/login/", "/accounts/signup/", f"/marketplace/{world['open'].pk}/"],
            "visitor",
        )
        # The switch takes them back to English, and English stays.
        page.locator(".language-switch button[value='en']").click()
        page.wait_for_load_state()
        assert page.evaluate("document.documentElement.lang") == "en"
        page.goto(f"{live_server.url}/")
        assert "Open an account" in page.locator("main").inner_text()
    finally:
        context.close()


@pytest.fixture
def disclosed(make_user):
    """Published monthly statistics, two event notices and institution documents, written
    the way operations writes them for Chinese readers (long lines without spaces)."""
    build_book(make_user)
    for month, end in ((1, 31), (2, 28), (3, 31), (4, 30), (5, 31)):
        ReconciliationRun.objects.create(statement_on=date(2026, month, end))
        statistics_snapshot_take(period=f"2026-{month:02d}")
    business_date_set(on=date(2026, 6, 1))
    ops, checker = make_user("operations"), make_user("compliance")
    published(
        ops,
        checker,
        title="关于平台资金存管银行由示例银行股份有限公司变更为另一家商业银行的重大事项公告",
        body="自2026年3月1日起客户资金改由新的存管银行存管。您的子账户及其余额将一并迁移且无需任何操作。",
    )
    published(
        ops,
        checker,
        title="系统升级期间暂停充值、提现和出借服务的公告",
        category=EventNotice.Category.SERVICE_INTERRUPTION,
        body="3月8日01:00至05:00系统升级期间暂停充值、提现和出借。",
    )
    institution_document_upload(
        kind="audit_report",
        title="2025年度客户资金存管专项审计报告由独立第三方会计师事务所出具",
        period="2025年度",
        upload=Upload(name="audit-2025.pdf", data=PDF),
        actor=ops,
    )


@pytest.mark.postgres
def test_the_disclosure_pages_are_in_chinese_and_fit_a_phone(_chromium, live_server, disclosed):
    context = _chromium.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        _walk(
            page,
            live_server.url,
            [
                "/disclosure/",
                "/disclosure/2026-05/",
                "/disclosure/notices/",
                f"/disclosure/notices/{EventNotice.objects.order_by('pk').first().pk}/",
                "/disclosure/institution/",
            ],
            "visitor",
        )
        page.goto(f"{live_server.url}/disclosure/")
        assert "累计借贷金额" in page.locator("main").inner_text()
    finally:
        context.close()


def test_the_marketing_and_referral_pages_are_in_chinese(page_login, live_server):
    referrer, code = referrer_and_code()
    referrer.language = "zh-hans"
    referrer.save(update_fields=["language"])
    paid_friend, paid = referee_of(code)
    invested(paid_friend, "1000.00")
    referral_settle(referral_id=paid.pk)
    referee_of(code)  # still waiting for a first investment
    page = page_login(referrer)
    _walk(page, live_server.url, ["/account/marketing/", "/account/referrals/"], "investor")
    body = page.locator("main").inner_text()
    assert "等待其完成首次符合条件的出借" in body
    assert "活动规则" in body


@pytest.mark.postgres
def test_the_regulator_portal_is_in_chinese(
    page_login, live_server, make_user, onboarding, product
):
    make_book(make_user, onboarding, product)
    for fmt in ("csv", "xlsx"):
        filing_generate(kind="daily_loans", period="2026-02-01", fmt=fmt)
    regulator, officer = make_user("regulator"), make_user("compliance")
    regulator.language = "zh-hans"
    regulator.save(update_fields=["language"])
    request = inspection_raise(
        regulator=regulator,
        subject="请提供2026年第一季度逾期90天以上借款的全部催收记录及联系日志",
        text="按借款逐笔提供催收记录、联系日志和还款承诺。",
        due_on=business_date() + timedelta(days=10),
    )
    inspection_answer(
        request_id=request.pk,
        author=officer,
        text="已按借款逐笔附上催收记录。",
        uploads=[InspectionUpload("collection-notes-2026-Q1-overdue-90-days.pdf", PDF)],
    )
    page = page_login(regulator)
    _walk(
        page,
        live_server.url,
        [
            "/regulator/",
            "/regulator/filings/",
            "/regulator/inspections/",
            f"/regulator/inspections/{request.pk}/",
            "/regulator/audit/",
        ],
        "regulator",
    )
    assert "每日逐笔借款数据文件" in page.goto(f"{live_server.url}/regulator/filings/").text()
