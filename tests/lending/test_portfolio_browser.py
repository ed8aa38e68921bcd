"""The portfolio in Chromium at 1280 and 390 px: figures, charts and tables fit the screen
(a wide table scrolls inside its card), with screenshots to look at in /tmp/shots-portfolio."""

from pathlib import Path

import pytest

from tests.lending.portfolios import investor_history

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots-portfolio")


@pytest.mark.parametrize("width", [1280, 390])
def test_portfolio_pages_fit_the_screen(
    page_login, live_server, make_user, onboarding, product, width
):
    history = investor_history(make_user, onboarding, product)
    SHOTS.mkdir(exist_ok=True)
    page = page_login(history.a)
    page.set_viewport_size({"width": width, "height": 900})
    investment = history.l1.investments.get(investor=history.a)
    for name, path in [
        ("portfolio", "/invest/portfolio/"),
        ("cash-flows", f"/invest/portfolio/investments/{investment.pk}/"),
        ("dashboard", "/dashboard/"),
    ]:
        page.goto(f"{live_server.url}{path}")
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") == width, name
    page.goto(f"{live_server.url}/invest/portfolio/")
    main = page.inner_text("main").lower()  # labels are upper-cased by CSS
    assert "outstanding principal" in main and "expected payments" in main
    assert page.locator("figure.chart svg").count() == 2
    assert page.locator("figure.chart svg rect").count() == 4  # two grades, two statuses
    with page.expect_download() as download:
        page.click("a:has-text('PDF')")
    assert download.value.suggested_filename == "statement-2026.pdf"
