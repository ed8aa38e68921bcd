"""One real browser run of the whole onboarding wizard in headless Chromium."""

import datetime
import os

import pytest

from accounts.adapters.identity import sandbox_bank_card, sandbox_national_id, sandbox_phone
from accounts.models import BorrowerProfile, Identity, InvestorProfile

SHOTS = os.environ.get("ONBOARDING_SHOTS_DIR", "/tmp/shots-onboarding")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_whole_wizard_in_a_browser(live_server, page_login, make_user):
    user = make_user()
    national_id = sandbox_national_id(birth=datetime.date(1987, 4, 5), sequence=77)
    os.makedirs(SHOTS, exist_ok=True)
    problems = []

    page = page_login(user)
    # A CSP violation or a script error shows up in the console.
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and "favicon" not in m.text and "404" not in m.text
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(str(e)))

    page.goto(f"{live_server.url}/onboarding/")
    assert page.url.endswith("/onboarding/identity/")
    page.fill("#id_legal_name", "Wang Fang")
    page.fill("#id_national_id", national_id[:-1] + ("1" if national_id[-1] == "0" else "0"))
    page.fill("#id_phone", sandbox_phone(77))
    page.fill("#id_bank_card", sandbox_bank_card(77))
    page.click("button[type=submit]")
    assert page.locator(".field-error").first.inner_text().startswith("The ID number")
    page.fill("#id_national_id", national_id)
    page.click("button[type=submit]")
    page.wait_for_url("**/onboarding/roles/")

    page.check("input[value=investor]")
    page.check("input[value=borrower]")
    page.click("button[type=submit]")
    page.wait_for_url("**/onboarding/investor/")

    page.check("input[name=investor_type][value=retail]")
    page.check("input[name=risk_tolerance][value=medium]")
    page.check("input[name=investment_experience][value=limited]")
    page.fill("#id_annual_income_amount", "180000")
    page.fill("#id_net_investible_assets_amount", "400000")
    page.locator("#id_net_investible_assets_amount").blur()
    # htmx replaces the preview with the live assessment.
    page.wait_for_selector("#suitability-preview .preview-level")
    assert "Balanced" in page.inner_text("#suitability-preview")
    assert "40,000.00 CNY" in page.inner_text("#suitability-preview")
    for box in page.locator(".risk-item input[type=checkbox]").all():
        box.check()
    page.screenshot(path=f"{SHOTS}/browser_investor.png", full_page=True)
    page.click("button[type=submit]")
    page.wait_for_url("**/onboarding/borrower/")

    page.select_option("#id_employment_status", "employed")
    page.fill("#id_employer", "Acme Trading")
    page.fill("#id_monthly_income_amount", "14000")
    page.fill("#id_monthly_obligations_amount", "2000")
    page.check("input[name=purposes][value=home_improvement]")
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard/")
    assert "all set" in page.inner_text("main").lower()
    page.screenshot(path=f"{SHOTS}/browser_dashboard.png", full_page=True)

    page.goto(f"{live_server.url}/settings/")
    text = page.inner_text("main")
    assert national_id not in text and national_id[:4] + "********" in text

    assert problems == []
    assert Identity.objects.filter(user=user).exists()
    assert InvestorProfile.objects.get(user=user).risk_level == "balanced"
    assert BorrowerProfile.objects.get(user=user).employer == "Acme Trading"
