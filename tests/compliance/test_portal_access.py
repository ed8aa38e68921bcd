"""A regulator who signs in lands on the portal (through the password and the TOTP code),
never on a refusal; without TOTP they are sent to enrol first (pages) or refused with
`mfa_required` (API, session or token); the portal is for regulators and compliance only."""

import pytest
from django.urls import reverse

from tests.accounts.auth_support import post_json, totp_code, totp_secret_of

pytestmark = pytest.mark.django_db


def test_a_regulator_signing_in_lands_on_the_portal(client, make_user):
    regulator = make_user("regulator")
    response = client.post(
        "/accounts/login/", {"login": regulator.email, "password": regulator.test_password}
    )
    assert response["Location"] == "/accounts/2fa/authenticate/"
    response = client.post(
        "/accounts/2fa/authenticate/", {"code": totp_code(totp_secret_of(regulator))}
    )
    assert response.status_code == 302 and response["Location"] == "/regulator/"
    portal = client.get(response["Location"])
    assert portal.status_code == 200
    html = portal.content.decode()
    for section in ("Filings", "Platform statistics", "Audit trail", "Inspection requests"):
        assert section in html
    assert reverse("compliance:inspection-create") in html  # a regulator may raise one


def test_a_next_page_still_wins_over_the_portal(client, make_user):
    regulator = make_user("regulator")
    client.post(
        "/accounts/login/?next=/regulator/audit/",
        {"login": regulator.email, "password": regulator.test_password},
    )
    response = client.post(
        "/accounts/2fa/authenticate/", {"code": totp_code(totp_secret_of(regulator))}
    )
    assert response["Location"] == "/regulator/audit/"


def test_other_staff_still_land_on_the_dashboard(client, make_user):
    officer = make_user("compliance")
    client.post("/accounts/login/", {"login": officer.email, "password": officer.test_password})
    response = client.post(
        "/accounts/2fa/authenticate/", {"code": totp_code(totp_secret_of(officer))}
    )
    assert response["Location"] == reverse("accounts:dashboard")


def test_a_regulator_without_totp_is_sent_to_enrolment_not_into_the_portal(client, make_user):
    regulator = make_user("regulator", mfa=False)
    client.force_login(regulator)
    for path in ("/regulator/", "/regulator/audit/", "/regulator/audit/export.csv"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == "/accounts/2fa/totp/activate/", path
    refused = client.post("/regulator/inspections/new/", {"subject": "x"})
    assert refused["Location"] == "/accounts/2fa/totp/activate/"
    api = client.get("/api/v1/regulator/audit-events")
    assert api.status_code == 403 and api.json()["code"] == "mfa_required"


def test_a_regulator_without_totp_is_refused_by_the_api_with_a_session_token(
    client, api_client, make_user
):
    regulator = make_user("regulator", mfa=False)
    login = post_json(
        client, "/auth/login", {"email": regulator.email, "password": regulator.test_password}
    )
    token = login.json()["meta"]["session_token"]
    for path in ("/api/v1/regulator/audit-events", "/api/v1/regulator/inspections"):
        response = api_client.get(path, headers={"X-Session-Token": token})
        assert response.status_code == 403, path
        assert response.json()["code"] == "mfa_required"


def test_a_regulator_with_totp_uses_the_api_with_a_session_token(client, api_client, make_user):
    regulator = make_user("regulator")
    held = post_json(
        client, "/auth/login", {"email": regulator.email, "password": regulator.test_password}
    )
    token = held.json()["meta"]["session_token"]
    done = post_json(
        client,
        "/auth/2fa/authenticate",
        {"code": totp_code(totp_secret_of(regulator))},
        token=token,
    )
    assert done.status_code == 200, done.content
    token = done.json()["meta"]["session_token"]
    response = api_client.get("/api/v1/regulator/inspections", headers={"X-Session-Token": token})
    assert response.status_code == 200 and response.json()["results"] == []


def test_the_dashboard_and_the_menu_lead_a_regulator_to_the_portal(client, make_user):
    client.force_login(make_user("regulator"))
    html = client.get(reverse("accounts:dashboard")).content.decode()
    assert "Not available yet." not in html  # the portal note is gone once it exists
    assert "Regulator portal" in html and f'href="{reverse("compliance:portal")}"' in html
    assert f'href="{reverse("compliance:audit-list")}"' in html


@pytest.mark.parametrize("role", ["investor", "borrower", "reviewer", "operations", "approver"])
def test_the_portal_is_refused_to_everyone_but_regulators_and_compliance(client, make_user, role):
    client.force_login(make_user(role))
    for name in ("compliance:portal", "compliance:audit-list", "compliance:inspection-list"):
        response = client.get(reverse(name))
        assert response.status_code == 403, name
        assert b'data-code="role_required"' in response.content
    assert b"Regulator portal" not in client.get(reverse("accounts:dashboard")).content


def test_compliance_reads_the_portal_but_raises_no_request(client, make_user):
    client.force_login(make_user("compliance"))
    html = client.get(reverse("compliance:portal")).content.decode()
    assert "Audit trail" in html and reverse("compliance:inspection-create") not in html
    assert client.get(reverse("compliance:inspection-create")).status_code == 403
