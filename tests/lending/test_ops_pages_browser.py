"""The pages this issue changed, in Chromium at 1280 and 390 px (screenshots in
$OPS_SHOTS_DIR): the product form's checkboxes and rate table, the staff landing pages of
collections and regulators, and the identity page's sandbox values. None scrolls sideways."""

import os

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("OPS_SHOTS_DIR", "/tmp/shots-ops")


def _both_widths(page, url: str, name: str) -> None:
    os.makedirs(SHOTS, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(url)
        page.screenshot(path=f"{SHOTS}/{name}_{width}.png", full_page=True)
        used = page.evaluate("document.scrollingElement.scrollWidth")
        assert used <= width, f"{url}: {used} px wide at {width} px"


def test_product_form_uses_checkboxes_and_a_rate_table(page_login, live_server, make_user, product):
    page = page_login(make_user("operations"))
    url = f"{live_server.url}/admin/lending/product/{product.pk}/change/"
    _both_widths(page, url, "product_form")
    assert page.locator("input[type=checkbox][name=term_options]").count() >= 4
    assert page.locator("input[type=checkbox][name=methods]").count() == 3
    assert page.locator("table.grade-rates input").count() == 5
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(url)
    page.fill("input[name=rates_by_grade_C]", "12%")
    page.click("input[name=_save]")
    page.wait_for_selector(".errornote")
    assert "Grade C: '12%' is not a rate" in page.inner_text("#content")
    page.screenshot(path=f"{SHOTS}/product_form_error_1280.png", full_page=True)
    product.refresh_from_db()
    assert product.rates_by_grade["C"] == "0.1200"


@pytest.mark.parametrize("role", ["collections", "regulator"])
def test_staff_landing_pages(page_login, live_server, make_user, role):
    page = page_login(make_user(role))
    _both_widths(page, f"{live_server.url}/dashboard/", f"dashboard_{role}")
    if role == "regulator":
        # Every page a regulator may use is there: the portal, filings, statistics, the
        # audit trail and inspection requests.
        text = page.inner_text("main")
        for name in ("Regulator portal", "Filings", "Platform statistics", "Audit trail"):
            assert name in text
        assert "Not available yet." not in text
    if role == "collections":
        _both_widths(page, f"{live_server.url}/admin/", "admin_index_collections")
        assert "Collections queue" in page.inner_text("#content")


def test_identity_page_shows_sandbox_values(page_login, live_server, make_user):
    page = page_login(make_user())
    _both_widths(page, f"{live_server.url}/onboarding/identity/", "identity_sandbox")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.click("text=Fill the form with them")
    page.click("button:has-text('Verify my identity')")
    page.wait_for_selector("text=Your identity is verified.")
