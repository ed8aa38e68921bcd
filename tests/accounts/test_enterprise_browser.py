"""The company step of the onboarding wizard in headless Chromium: the live credit-code
check (htmx), a refusal next to its field, then a registered company."""

import datetime
import os

import pytest

from accounts import services
from accounts.adapters.enterprise_registry import sandbox_credit_code
from accounts.adapters.identity import sandbox_bank_card, sandbox_national_id, sandbox_phone
from accounts.models import Enterprise

SHOTS = os.environ.get("ONBOARDING_SHOTS_DIR", "/tmp/shots-onboarding")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_company_step_in_a_browser(live_server, page_login, make_user):
    user = make_user("borrower")
    national_id = sandbox_national_id(birth=datetime.date(1982, 6, 9), sequence=88)
    services.identity_submit(
        user=user,
        legal_name="张伟",
        national_id=national_id,
        phone=sandbox_phone(88_800),
        bank_card=sandbox_bank_card(88_800),
    )
    code = sandbox_credit_code(88)
    os.makedirs(SHOTS, exist_ok=True)

    page = page_login(user)
    page.goto(f"{live_server.url}/onboarding/enterprise/")
    assert "Borrowing for a company?" in page.inner_text("h1")
    assert "Company" in page.inner_text(".wizard-steps")

    # A typo in the check character is caught as it is typed.
    page.fill("#id_credit_code", code[:-1] + ("1" if code[-1] != "1" else "2"))
    page.wait_for_selector("#credit-code-check.field-error")
    assert "check character is wrong" in page.inner_text("#credit-code-check")
    page.fill("#id_credit_code", code.lower())
    page.wait_for_selector("#credit-code-check.code-ok")

    page.fill("#id_company_name", "深圳湾科技有限公司")
    page.fill("#id_registered_address", "广东省深圳市南山区科苑路15号")
    page.fill("#id_legal_representative_name", "李华")  # not the verified identity
    page.fill("#id_legal_representative_id", national_id)
    page.screenshot(path=f"{SHOTS}/browser_enterprise_form.png", full_page=True)
    page.click("button[type=submit]")
    page.wait_for_selector(".field-error")
    assert "legal representative must be you" in page.inner_text("main")
    assert not Enterprise.objects.filter(user=user).exists()
    page.screenshot(path=f"{SHOTS}/browser_enterprise_refused.png", full_page=True)

    page.fill("#id_legal_representative_name", "张伟")
    page.fill("#id_legal_representative_id", national_id)
    page.click("button[type=submit]")
    page.wait_for_url("**/onboarding/borrower/")
    assert "深圳***有限公司" in page.inner_text("main")
    assert "5,000,000 CNY" in page.inner_text("main")
    page.screenshot(path=f"{SHOTS}/browser_enterprise_done.png", full_page=True)
    assert Enterprise.objects.get(user=user).company_name_masked == "深圳***有限公司"
