"""Signup -> code -> verified -> sign out -> sign in -> TOTP, driven through the pages in
headless Chromium against the live server (CSP on: no inline script or style may be needed)."""

import re

import pytest
from django.core import mail

from tests.accounts.auth_support import totp_code, verification_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Browser-pass-phrase-26"


def _submit(page):
    with page.expect_navigation():
        page.click("form.auth-form button[type=submit]")


def test_signup_verify_by_code_sign_out_and_sign_in_through_the_pages(page, live_server):
    response = page.goto(f"{live_server.url}/accounts/signup/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.fill("input[name=email]", "dana@example.test")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    _submit(page)
    assert page.url.endswith("/accounts/confirm-email/")
    assert page.locator("h1").inner_text().lower().startswith("enter email verification code")

    page.fill("input[name=code]", "WRONG1")
    _submit(page)
    assert page.url.endswith("/accounts/confirm-email/")
    assert page.locator(".errorlist").count() == 1

    page.fill("input[name=code]", verification_code("dana@example.test"))
    _submit(page)
    assert page.url == f"{live_server.url}/dashboard/"
    assert "dana@example.test" in page.content()

    page.goto(f"{live_server.url}/accounts/logout/")
    _submit(page)
    page.goto(f"{live_server.url}/dashboard/")
    assert "/accounts/login/" in page.url

    page.fill("input[name=login]", "dana@example.test")
    page.fill("input[name=password]", "not-the-password")
    _submit(page)
    assert page.locator(".message-error").count() == 1
    page.fill("input[name=login]", "dana@example.test")
    page.fill("input[name=password]", PASSWORD)
    _submit(page)
    assert page.url.startswith(f"{live_server.url}/dashboard/")


def test_totp_enrolment_with_visible_qr_code_then_sign_in_with_a_code(page, live_server, make_user):
    user = make_user("investor", email="erin@example.test", password=PASSWORD)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    _submit(page)

    # Signed in moments ago: straight to enrolment, no second password prompt.
    page.goto(f"{live_server.url}/accounts/2fa/totp/activate/")
    assert page.url.endswith("/accounts/2fa/totp/activate/")
    # The QR code is a data: SVG image; CSP allows data: images, and it must decode.
    assert page.evaluate(
        "() => { const i = document.querySelector('img.qr-code');"
        " return !!i && i.complete && i.naturalWidth > 0 }"
    )
    secret = page.input_value("#authenticator_secret")
    page.fill("input[name=code]", totp_code(secret))
    _submit(page)
    assert page.url.endswith("/accounts/2fa/recovery-codes/")
    codes = re.findall(r"\b\d{8}\b", page.input_value("#recovery_codes"))
    assert len(codes) == 10

    page.goto(f"{live_server.url}/accounts/logout/")
    _submit(page)
    mail.outbox.clear()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    _submit(page)
    assert page.url.endswith("/accounts/2fa/authenticate/")
    page.fill("input[name=code]", codes[0])  # a recovery code stands in for the app
    _submit(page)
    assert page.url.startswith(f"{live_server.url}/dashboard/")
