"""Auto-invest rules in Chromium at 1280 and 390 px: pause, resume, edit and delete (with
its confirmation), nothing wider than the phone; and the investor's other new pages (the
marked marketplace, the loan page with stake and schedule, the cancel confirmation)."""

from decimal import Decimal as D
from pathlib import Path

import pytest

from lending.models import AutoInvestRule
from lending.services.investments import investment_place
from tests.lending.factories import AutoInvestRuleFactory, LoanFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots-autoinvest")
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") == width


@pytest.mark.parametrize("device", WIDTHS)
def test_pause_resume_edit_and_delete_a_rule(page_login, live_server, investor, device):
    width, height = WIDTHS[device]
    SHOTS.mkdir(exist_ok=True)
    rule = AutoInvestRuleFactory(investor=investor, grades=["A", "B"], amount_per_loan=D("500"))
    AutoInvestRuleFactory(investor=investor, grades=["C"], amount_per_loan=D("200"))
    page = page_login(investor)
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_server.url}/invest/auto/")
    card = page.locator(f"#rule-{rule.pk}")
    assert "Active" in card.inner_text()
    _fits(page, width)
    page.screenshot(path=str(SHOTS / f"{device}-1-rules.png"), full_page=True)

    card.locator("button:has-text('Pause')").click()
    page.wait_for_selector("text=Rule paused")
    assert "Paused" in page.locator(f"#rule-{rule.pk}").inner_text()
    assert not AutoInvestRule.objects.get(pk=rule.pk).is_active
    page.screenshot(path=str(SHOTS / f"{device}-2-paused.png"), full_page=True)
    page.locator(f"#rule-{rule.pk} button:has-text('Resume')").click()
    page.wait_for_selector("text=Rule resumed")
    assert AutoInvestRule.objects.get(pk=rule.pk).is_active

    page.locator(f"#rule-{rule.pk} a:has-text('Edit')").click()
    page.wait_for_selector("text=Edit auto-invest rule")
    assert page.input_value("input[name=amount_per_loan]") == "500.00"
    _fits(page, width)
    page.screenshot(path=str(SHOTS / f"{device}-3-edit.png"), full_page=True)
    page.fill("input[name=amount_per_loan]", "750.00")
    page.check("input[name=grades][value=C]")
    page.fill("input[name=max_rate]", "15")
    page.click("button:has-text('Save changes')")
    page.wait_for_selector("text=Auto-invest rule changed.")
    rule.refresh_from_db()
    assert (rule.amount_per_loan, rule.grades, rule.max_rate) == (
        D("750.00"),
        ["A", "B", "C"],
        D("0.15"),
    )
    assert "750.00" in page.locator(f"#rule-{rule.pk}").inner_text()

    page.locator(f"#rule-{rule.pk} a:has-text('Delete')").click()
    page.wait_for_selector("text=Delete this auto-invest rule?")
    _fits(page, width)
    page.screenshot(path=str(SHOTS / f"{device}-4-delete-confirm.png"), full_page=True)
    assert AutoInvestRule.objects.filter(pk=rule.pk).exists()
    page.click("button:has-text('Delete rule')")
    page.wait_for_selector("text=Rule deleted.")
    assert not AutoInvestRule.objects.filter(pk=rule.pk).exists()
    assert page.locator(f"#rule-{rule.pk}").count() == 0
    _fits(page, width)
    page.screenshot(path=str(SHOTS / f"{device}-5-after-delete.png"), full_page=True)


@pytest.mark.parametrize("device", WIDTHS)
def test_marked_marketplace_loan_page_and_cancel_confirmation(
    page_login, live_server, make_user, onboarding, product, settings, device
):
    from custody.adapters.sandbox import SandboxCustodian
    from custody.services.movements import deposit_request

    settings.SANDBOX_CUSTODIAN_TRANSPORT = "local"
    settings.SANDBOX_CUSTODIAN_FAILURE_RATE = 0.0
    width, height = WIDTHS[device]
    SHOTS.mkdir(exist_ok=True)
    borrower = onboarding.borrower(make_user("borrower"))
    loans = [LoanFactory(borrower=borrower, product=product, grade=g) for g in "ABD"]
    investor = onboarding.investor(make_user("investor"), max_grade="B", per_loan=D("1000"))
    # Money that went through the sandbox bank, so the wallet has its figure to show.
    deposit = deposit_request(user=investor, amount=D("5000.00"), request_key="d")
    SandboxCustodian().deposit_instruct(deposit_id=deposit.pk)
    investment_place(investor=investor, loan_id=loans[0].pk, amount=D("1000"), idempotency_key="k")
    page = page_login(investor)
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_server.url}/marketplace/")
    assert page.locator("[data-code=grade_above_risk_level]").count() == 1
    assert page.locator("[data-code=per_loan_limit_exceeded]").count() == 1
    page.screenshot(path=str(SHOTS / f"{device}-6-marketplace.png"), full_page=True)
    page.goto(f"{live_server.url}/marketplace/{loans[0].pk}/")
    assert "Your stake" in page.inner_text("main") and "projected" in page.inner_text("main")
    _fits(page, width)
    page.screenshot(path=str(SHOTS / f"{device}-7-loan.png"), full_page=True)
    page.click("#my-stake a:has-text('Cancel')")
    page.wait_for_selector("text=Cancel this investment?")
    _fits(page, width)
    page.screenshot(path=str(SHOTS / f"{device}-8-cancel-confirm.png"), full_page=True)
    page.click("button:has-text('Cancel investment')")
    page.wait_for_selector("text=cancelled; the money is available again")
    page.goto(f"{live_server.url}/wallet/")
    main = page.inner_text("main")
    assert f"Returned from {loans[0].reference} (you cancelled)" in main
    assert "Match" in main and "THE BANK REPORTS" in main.upper()
    _fits(page, width)
    page.screenshot(path=str(SHOTS / f"{device}-9-wallet.png"), full_page=True)
