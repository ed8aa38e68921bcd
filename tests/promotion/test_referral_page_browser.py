"""The "Refer a friend" page in headless Chromium at desktop and phone widths: the link,
its copy button (a script of our own, under the CSP), each friend's status, no overflow."""

import os
from decimal import Decimal

import pytest

from custody.models import Movement, Withdrawal
from promotion.services.referrals import referral_settle
from tests.promotion.referrals import invested, referee_of, referrer_and_code

SHOTS = os.environ.get("REFERRAL_SHOTS_DIR", "/tmp/shots-referrals")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_referral_page_at_desktop_and_phone_widths(live_server, page_login):
    referrer, code = referrer_and_code()
    paid_friend, paid = referee_of(code)
    invested(paid_friend, "1000.00")
    referral_settle(referral_id=paid.pk)
    refused_friend, refused = referee_of(code)
    Withdrawal.objects.create(
        user=refused_friend,
        amount=Decimal("5.00"),
        status=Movement.Status.SUCCEEDED,
        request_key="w",
    )
    referral_settle(referral_id=refused.pk)
    referee_of(code)  # waiting for a first investment
    os.makedirs(SHOTS, exist_ok=True)

    page = page_login(referrer)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"{live_server.url}/account/referrals/")
    assert page.input_value("#referral-link") == f"http://127.0.0.1:8000/?ref={code}"
    body = page.inner_text("main")
    assert "50.00" in body
    assert "Withdrew money within the window" in body
    assert "Waiting for their first qualifying investment" in body
    assert paid_friend.email not in body  # friends are masked
    page.click("button[data-copy-target=referral-link]")
    page.wait_for_selector(".referral-copy-status:not(:empty)")
    assert page.evaluate("navigator.clipboard.readText()") == f"http://127.0.0.1:8000/?ref={code}"

    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/account/referrals/")
        page.screenshot(path=f"{SHOTS}/referrals-{width}.png", full_page=True)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"horizontal overflow of {overflow}px at {width}px"
