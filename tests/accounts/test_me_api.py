"""GET /api/v1/me and the onboarding POSTs: shapes, codes, masking, nothing stored on error."""

import datetime

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from accounts.adapters.identity import sandbox_bank_card, sandbox_national_id, sandbox_phone
from accounts.models import BorrowerProfile, Identity, IdentityCheck, InvestorProfile
from core.policies import RISK_KEYS

INVESTOR_ANSWERS = {
    "risk_tolerance": "medium",
    "investment_experience": "limited",
    "risks_acknowledged": list(RISK_KEYS),
    "annual_income_amount": "150000.00",
    "net_investible_assets_amount": "123456.78",
    "investor_type": "retail",
}
BORROWER_ANSWERS = {
    "employment_status": "employed",
    "employer": "Shanghai Metro",
    "monthly_income_amount": "12000.00",
    "monthly_obligations_amount": "2500.00",
    "other_platform_outstanding_amount": "0.00",
    "purposes": ["home_improvement"],
}


def identity(n=1):
    return {
        "legal_name": "Zhang Wei",
        "national_id": sandbox_national_id(birth=datetime.date(1979, 12, 31), sequence=n),
        "phone": sandbox_phone(n),
        "bank_card": sandbox_bank_card(n),
    }


@pytest.fixture
def signed_in(api_client, make_user):
    def sign_in(*roles):
        user = make_user(*roles)
        api_client.force_authenticate(user)
        return user

    return sign_in


@pytest.mark.django_db
def test_me_for_a_new_customer(api_client, signed_in):
    user = signed_in()
    body = api_client.get("/api/v1/me").json()
    assert body == {
        "id": user.id,
        "email": user.email,
        "display_name": "",
        "roles": [],
        "identity": {
            "status": "unverified",
            "legal_name": None,
            "national_id": None,
            "phone": None,
            "bank_card": None,
            "verified_at": None,
            "reasons": [],
        },
        "investor_profile": None,
        "borrower_profile": None,
        "enterprise": None,
        "limits": None,
        "next_step": "identity",
    }


@pytest.mark.django_db
def test_whole_onboarding_through_the_api(api_client, signed_in):
    signed_in()
    data = identity(3)
    assert api_client.post("/api/v1/me/identity", data, format="json").status_code == 201
    response = api_client.post(
        "/api/v1/me/roles", {"roles": ["investor", "borrower"]}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["next_step"] == "investor"
    response = api_client.post("/api/v1/me/investor-profile", INVESTOR_ANSWERS, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["limits"] == {
        "max_loan_grade": "C",
        "per_loan_amount": "1234.56",
        "total_amount": "12345.67",
        "currency": "CNY",
    }
    assert response.json()["next_step"] == "borrower"
    response = api_client.post("/api/v1/me/borrower-profile", BORROWER_ANSWERS, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["next_step"] is None
    assert body["roles"] == ["borrower", "investor"]
    assert body["borrower_profile"]["monthly_income_amount"] == "12000.00"
    assert body["investor_profile"]["risk_level"] == "balanced"
    text = api_client.get("/api/v1/me").content.decode()
    for value in (data["national_id"], data["phone"], data["bank_card"], data["legal_name"]):
        assert value not in text


@pytest.mark.django_db
def test_rejected_identity_shows_status_and_reasons(api_client, signed_in):
    signed_in()
    response = api_client.post(
        "/api/v1/me/identity", {**identity(), "bank_card": "1234567890123456"}, format="json"
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_bank_card"
    me = api_client.get("/api/v1/me").json()
    assert me["identity"]["status"] == "rejected"
    assert me["identity"]["reasons"] == ["invalid_bank_card"]


@pytest.mark.django_db
def test_roles_before_identity_are_refused(api_client, signed_in):
    user = signed_in()
    response = api_client.post("/api/v1/me/roles", {"roles": ["investor"]}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "identity_not_verified"
    assert not user.groups.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "staff_role", ["reviewer", "approver", "collections", "compliance", "regulator", "operations"]
)
def test_staff_cannot_verify_an_identity_or_take_customer_roles(api_client, signed_in, staff_role):
    user = signed_in(staff_role)
    response = api_client.post("/api/v1/me/identity", identity(7), format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "staff_not_allowed"
    response = api_client.post(
        "/api/v1/me/roles", {"roles": ["borrower", "investor"]}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "staff_not_allowed"
    assert set(user.groups.values_list("name", flat=True)) == {staff_role}
    assert not Identity.objects.filter(user=user).exists()
    assert not IdentityCheck.objects.filter(user=user).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("flag", ["is_staff", "is_superuser"])
def test_admin_flags_alone_bar_customer_roles(api_client, signed_in, flag):
    user = signed_in()
    assert api_client.post("/api/v1/me/identity", identity(8), format="json").status_code == 201
    setattr(user, flag, True)
    user.save(update_fields=[flag])
    # Staff flags require TOTP before any action; enrol so the refusal under test is reached.
    TOTP.activate(user, generate_totp_secret())
    response = api_client.post("/api/v1/me/roles", {"roles": ["investor"]}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "staff_not_allowed"
    assert not user.groups.exists()


@pytest.mark.django_db
def test_roles_api_refuses_staff_roles_with_a_field_error(api_client, signed_in):
    signed_in()
    response = api_client.post("/api/v1/me/roles", {"roles": ["approver"]}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_choice"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"risks_acknowledged": list(RISK_KEYS[:-1])}, 422, "risks_not_acknowledged"),
        ({"investor_type": "sophisticated"}, 422, "sophisticated_not_qualified"),
        ({"net_investible_assets_amount": "-5.00"}, 400, "min_value"),
        ({"annual_income_amount": "1.001"}, 400, "max_decimal_places"),
        ({"annual_income_amount": "lots"}, 400, "validation_error"),
        # Decimal() reads these; nobody types them into an income on purpose.
        ({"annual_income_amount": "\u0661\u0660\u0660\u0660\u0660\u0660"}, 400, "validation_error"),
        ({"annual_income_amount": "1e5"}, 400, "validation_error"),
        ({"annual_income_amount": "+100000"}, 400, "validation_error"),
        ({"annual_income_amount": 100000.5}, 400, "validation_error"),
        ({"risk_tolerance": "yolo"}, 400, "invalid_choice"),
        ({"risks_acknowledged": ["total_loss", "astrology"]}, 400, "invalid_choice"),
        ({"risks_acknowledged": list(RISK_KEYS) * 100}, 400, "max_length"),
        ({"risks_acknowledged": [*RISK_KEYS, RISK_KEYS[0]]}, 400, "max_length"),
    ],
)
def test_bad_investor_answers_get_a_code_and_store_nothing(
    api_client, signed_in, change, status, code
):
    signed_in("investor")
    response = api_client.post(
        "/api/v1/me/investor-profile", {**INVESTOR_ANSWERS, **change}, format="json"
    )
    assert response.status_code == status, response.json()
    assert response.json()["code"] == code
    assert not InvestorProfile.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"employer": ""}, "employer_required"),
        ({"purposes": []}, "min_length"),
        ({"purposes": ["gambling"]}, "invalid_choice"),
        ({"purposes": ["other"] * 1000}, "max_length"),
        ({"purposes": [p for p, _ in BorrowerProfile.Purpose.choices] + ["other"]}, "max_length"),
        ({"monthly_income_amount": "-1"}, "min_value"),
        ({"monthly_income_amount": "\uff11\uff10\uff10\uff10\uff10"}, "validation_error"),
        ({"monthly_income_amount": "1e4"}, "validation_error"),
        ({"monthly_income_amount": 10000.25}, "validation_error"),
        ({"employment_status": "astronaut"}, "invalid_choice"),
        # Reviewers read the employer: free text others read (core.text).
        ({"employer": "Metro \u202eortem"}, "text_control_characters"),
        ({"employer": "Metro\x1b[2J"}, "text_control_characters"),
    ],
)
def test_bad_borrower_answers_get_a_code_and_store_nothing(api_client, signed_in, change, code):
    signed_in("borrower")
    response = api_client.post(
        "/api/v1/me/borrower-profile", {**BORROWER_ANSWERS, **change}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert not BorrowerProfile.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "url", "answers"),
    [
        (
            "investor",
            "/api/v1/me/investor-profile",
            {"risks_acknowledged": list(RISK_KEYS) * 10_000},
        ),
        ("borrower", "/api/v1/me/borrower-profile", {"purposes": ["other"] * 100_000}),
    ],
)
def test_answers_too_large_to_read_are_413_and_store_nothing(
    api_client, signed_in, role, url, answers
):
    # Lists this long are refused before they are read (API_BODY_MAX_BYTES).
    signed_in(role)
    base = INVESTOR_ANSWERS if role == "investor" else BORROWER_ANSWERS
    response = api_client.post(url, {**base, **answers}, format="json")
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert not InvestorProfile.objects.exists() and not BorrowerProfile.objects.exists()


@pytest.mark.django_db
def test_profile_posts_need_the_matching_role(api_client, signed_in):
    signed_in("borrower")
    response = api_client.post("/api/v1/me/investor-profile", INVESTOR_ANSWERS, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "investor_role_required")
    signed_in("investor")
    response = api_client.post("/api/v1/me/borrower-profile", BORROWER_ANSWERS, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "borrower_role_required")


@pytest.mark.django_db
def test_malformed_json_is_a_400_not_a_500(api_client, signed_in):
    signed_in()
    response = api_client.post(
        "/api/v1/me/identity", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/me/identity",
        "/api/v1/me/roles",
        "/api/v1/me/investor-profile",
        "/api/v1/me/borrower-profile",
    ],
)
def test_onboarding_posts_are_401_for_anonymous(api_client, path):
    assert api_client.post(path, {}, format="json").status_code == 401


@pytest.mark.django_db
def test_schema_describes_the_onboarding_endpoints(client):
    schema = client.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    for path in ("/api/v1/me", "/api/v1/me/identity", "/api/v1/me/investor-profile"):
        assert path in paths
    assert "IdentityInput" in {k.removesuffix("Request") for k in schema["components"]["schemas"]}
