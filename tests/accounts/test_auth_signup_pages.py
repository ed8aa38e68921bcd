"""Signing up through the pages: a new user who signs in again before entering the code."""

import pytest

from tests.accounts.auth_support import verification_code

PASSWORD = "Sturdy-Pass-2026!"


@pytest.mark.django_db
def test_signing_in_again_before_verifying_sends_a_fresh_code_that_works(client):
    email = "newcomer@example.com"
    client.post("/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD})
    first = verification_code(email)
    client.logout()

    response = client.post("/accounts/login/", {"login": email, "password": PASSWORD})

    # Not "too many login attempts": the user is taken to the code page with a new code.
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    second = verification_code(email)
    assert second != first
    response = client.post("/accounts/confirm-email/", {"code": second})
    assert response.status_code == 302
    assert client.get("/dashboard/").status_code == 200
