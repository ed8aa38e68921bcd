"""Enterprise borrowers: registration through the API and the wizard page, registry
refusals, duplicates as fraud signals, bad input changing nothing, PII at rest, the admin."""

import datetime

import pytest
from django.urls import reverse

from accounts import selectors, services
from accounts.adapters.enterprise_registry import sandbox_credit_code
from accounts.adapters.identity import sandbox_bank_card, sandbox_national_id, sandbox_phone
from accounts.errors import EnterpriseRejected, PiiRevealForbidden
from accounts.models import Enterprise, EnterpriseCheck, FraudSignal
from accounts.services import enterprise as services_enterprise
from core.audit import AuditEvent
from tests.accounts.test_identity import assert_nothing_in_clear

URL = "/api/v1/me/enterprise"
REASON = "Complaint C-2026-0042: checking the borrower's company"
_seq = iter(range(300, 10_000))

pytestmark = pytest.mark.django_db


def person(n: int, name: str = "王小明") -> dict:
    return {
        "legal_name": name,
        "national_id": sandbox_national_id(birth=datetime.date(1984, 5, 6), sequence=n),
        "phone": sandbox_phone(55_000_000 + n),
        "bank_card": sandbox_bank_card(550_000 + n),
    }


@pytest.fixture
def borrower(make_user):
    """A borrower with a verified identity; `.person` holds the identity's clear values."""

    def make(name: str = "王小明"):
        user = make_user("borrower")
        data = person(next(_seq), name)
        services.identity_submit(user=user, **data)
        user.person = data
        return user

    return make


def company(user, n: int = 1, **overrides) -> dict:
    data = {
        "company_name": "深圳湾科技有限公司",
        "credit_code": sandbox_credit_code(n),
        "legal_representative_name": user.person["legal_name"],
        "legal_representative_id": user.person["national_id"],
        "registered_address": "广东省深圳市南山区科苑路15号",
    }
    data.update(overrides)
    return data


def post(api_client, user, data):
    api_client.force_authenticate(user)
    return api_client.post(URL, data, format="json")


def counts(user) -> tuple:
    return (
        Enterprise.objects.count(),
        EnterpriseCheck.objects.count(),
        FraudSignal.objects.filter(user=user).count(),
        AuditEvent.objects.count(),
    )


# --- Registration --------------------------------------------------------------------


def test_borrower_registers_a_company_and_sees_it_masked(api_client, borrower):
    user = borrower()
    data = company(user, 11)
    response = post(api_client, user, data)
    assert response.status_code == 201, response.json()
    shown = response.json()["enterprise"]
    assert shown["company_name"] == "深圳***有限公司"
    assert shown["credit_code"] == data["credit_code"][:4] + "**********" + data["credit_code"][-4:]
    assert shown["legal_representative_name"] == "王**"
    assert shown["registered_address"] == "广东省深圳市****"
    enterprise = Enterprise.objects.get(user=user)
    assert enterprise.enterprise_check.status == "verified"
    assert enterprise.enterprise_check.registry == "sandbox"
    event = AuditEvent.objects.get(action="enterprise.verify")
    assert event.actor_id == user.pk and event.after["credit_code"] == shown["credit_code"]
    assert data["credit_code"] not in str(event.after)
    assert selectors.onboarding_get(user).is_enterprise
    assert api_client.get("/api/v1/me").json()["enterprise"] == shown


def test_company_pii_is_encrypted_at_rest_and_revealed_only_with_a_reason(
    api_client, borrower, make_user
):
    user = borrower()
    data = company(user, 12, company_name="杭州西溪包装材料有限公司")
    assert post(api_client, user, data).status_code == 201
    assert_nothing_in_clear(
        data["company_name"],
        data["credit_code"],
        data["legal_representative_id"],
        data["registered_address"],
    )
    enterprise = Enterprise.objects.get(user=user)
    assert enterprise.company_name_encrypted.startswith("gAAAA")  # a Fernet token
    revealed = services_enterprise.enterprise_pii_reveal(
        enterprise=enterprise, viewer=make_user("compliance"), reason=REASON
    )
    assert revealed == {
        "company_name": data["company_name"],
        "credit_code": data["credit_code"],
        "legal_representative_name": data["legal_representative_name"],
        "legal_representative_id": data["legal_representative_id"],
        "registered_address": data["registered_address"],
    }
    event = AuditEvent.objects.get(action="pii.view", subject_type="enterprise")
    assert event.after["reason"] == REASON and data["credit_code"] not in str(event.after)
    with pytest.raises(PiiRevealForbidden):
        services_enterprise.enterprise_pii_reveal(
            enterprise=enterprise, viewer=make_user("reviewer"), reason=REASON
        )


@pytest.mark.parametrize(
    ("status", "code"),
    [("revoked", "enterprise_revoked"), ("deregistered", "enterprise_deregistered")],
)
def test_registry_refusal_is_recorded_and_audited_without_data(api_client, borrower, status, code):
    user = borrower()
    data = company(user, 13, credit_code=sandbox_credit_code(13, status=status))
    response = post(api_client, user, data)
    assert response.status_code == 422
    assert response.json()["code"] == code
    assert not Enterprise.objects.filter(user=user).exists()
    check = EnterpriseCheck.objects.get(user=user)
    assert check.status == "rejected" and check.reasons == [code]
    event = AuditEvent.objects.get(action="enterprise.reject")
    assert event.after["reasons"] == [code]
    assert_nothing_in_clear(data["credit_code"], data["company_name"])


def test_registry_refuses_a_company_on_the_abnormal_operations_list(api_client, borrower, settings):
    user = borrower()
    data = company(user, 14)
    settings.ENTERPRISE_REGISTRY_ABNORMAL_CODES = [data["credit_code"]]
    response = post(api_client, user, data)
    assert (response.status_code, response.json()["code"]) == (
        422,
        "enterprise_abnormal_operations",
    )


def test_duplicate_credit_code_is_refused_and_recorded_as_a_fraud_signal(api_client, borrower):
    first = borrower()
    assert post(api_client, first, company(first, 15)).status_code == 201
    second = borrower("李华")
    data = company(second, 15, company_name="另一家公司有限公司")
    response = post(api_client, second, data)
    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_credit_code"
    assert not Enterprise.objects.filter(user=second).exists()
    signal = FraudSignal.objects.get(user=second)
    assert signal.kind == FraudSignal.Kind.DUPLICATE_CREDIT_CODE
    assert signal.matched_user_id == first.pk
    check = EnterpriseCheck.objects.get(user=second)
    assert check.status == "rejected" and check.reasons == ["duplicate_credit_code"]
    assert AuditEvent.objects.filter(action="enterprise.reject", subject_id=str(second.pk)).exists()
    # The same code typed in lower case with spaces is the same code.
    code = data["credit_code"].lower()
    spaced = " ".join(code[i : i + 4] for i in range(0, 18, 4))
    again = post(api_client, second, {**data, "credit_code": spaced})
    assert again.json()["code"] == "duplicate_credit_code"


def test_a_second_company_for_the_same_account_is_refused(api_client, borrower):
    user = borrower()
    assert post(api_client, user, company(user, 16)).status_code == 201
    response = post(api_client, user, company(user, 17))
    assert (response.status_code, response.json()["code"]) == (409, "enterprise_already_registered")
    assert Enterprise.objects.filter(user=user).count() == 1


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"credit_code": "91440300MA0000018X"}, 422, "invalid_credit_code_checksum"),
        ({"credit_code": "91440300MA000001"}, 422, "invalid_credit_code"),
        ({"credit_code": "91440300MO0000018L"}, 422, "invalid_credit_code"),
        ({"credit_code": "12100000400000012" + "X"}, 422, "invalid_credit_code_checksum"),
        ({"credit_code": "121000004000000129"[:17] + "?"}, 422, "invalid_credit_code"),
        ({"legal_representative_id": "110105199001010011"}, 422, "invalid_legal_representative_id"),
        ({"legal_representative_name": "李华"}, 422, "legal_representative_mismatch"),
        ({"registered_address": "深圳"}, 422, "invalid_registered_address"),
        ({"credit_code": ""}, 400, "blank"),
        ({"company_name": "x" * 101}, 400, "max_length"),
        ({"registered_address": None}, 400, "null"),
        # Investors see the address's first characters (core.text).
        (
            {"registered_address": "\u202e广东省深圳市南山区科苑路15号"},
            400,
            "text_control_characters",
        ),
    ],
)
def test_bad_input_is_refused_with_a_code_and_changes_nothing(
    api_client, borrower, overrides, status, code
):
    user = borrower()
    before = counts(user)
    response = post(api_client, user, company(user, 18, **overrides))
    assert response.status_code == status, response.json()
    assert response.json()["code"] == code
    assert counts(user) == before


def test_enterprise_submit_refuses_an_address_with_control_characters(borrower):
    user = borrower()
    before = counts(user)
    with pytest.raises(EnterpriseRejected) as refused:
        services_enterprise.enterprise_submit(
            user=user, **company(user, 20, registered_address="广东省深圳市\x1b南山区科苑路15号")
        )
    assert refused.value.code == "invalid_registered_address"
    assert counts(user) == before


def test_public_institution_code_is_refused_as_not_an_enterprise(api_client, borrower):
    from accounts.credit_code import check_character

    user = borrower()
    code = "12100000400000012" + check_character("12100000400000012")
    before = counts(user)
    response = post(api_client, user, company(user, credit_code=code))
    assert (response.status_code, response.json()["code"]) == (422, "credit_code_not_enterprise")
    assert counts(user) == before


def test_legal_representative_must_be_the_verified_user(api_client, borrower):
    other = borrower("李华")
    user = borrower()
    before = counts(user)
    # A valid resident ID, but somebody else's.
    data = company(user, 19, legal_representative_id=other.person["national_id"])
    response = post(api_client, user, data)
    assert (response.status_code, response.json()["code"]) == (422, "legal_representative_mismatch")
    assert counts(user) == before


def test_without_the_borrower_role_or_identity_nothing_is_registered(api_client, make_user):
    investor = make_user("investor")
    response = post(api_client, investor, {"credit_code": sandbox_credit_code(20)})
    assert (response.status_code, response.json()["code"]) == (403, "borrower_role_required")
    unverified = make_user("borrower")
    unverified.person = person(999)
    response = post(api_client, unverified, company(unverified, 20))
    assert (response.status_code, response.json()["code"]) == (403, "identity_not_verified")
    assert not Enterprise.objects.exists() and not EnterpriseCheck.objects.exists()


def test_registrations_stop_after_too_many_rejections(api_client, borrower, settings):
    settings.ENTERPRISE_MAX_REJECTIONS_PER_DAY = 2
    user = borrower()
    for n in (21, 22):
        bad = company(user, credit_code=sandbox_credit_code(n, status="revoked"))
        assert post(api_client, user, bad).json()["code"] == "enterprise_revoked"
    response = post(api_client, user, company(user, 23))
    assert (response.status_code, response.json()["code"]) == (429, "enterprise_attempts_exceeded")
    assert not Enterprise.objects.filter(user=user).exists()
    assert EnterpriseCheck.objects.filter(user=user).count() == 2


def test_pii_rotate_rewrites_enterprises_under_the_new_key(api_client, borrower):
    from cryptography.fernet import Fernet
    from django.conf import settings
    from django.core.management import call_command
    from django.test import override_settings

    user = borrower()
    data = company(user, 24)
    assert post(api_client, user, data).status_code == 201
    new_key = Fernet.generate_key().decode()
    with override_settings(PII_ENCRYPTION_KEYS=[new_key, *settings.PII_ENCRYPTION_KEYS]):
        call_command("pii_rotate", stdout=open("/dev/null", "w"))  # noqa: SIM115
    with override_settings(PII_ENCRYPTION_KEYS=[new_key]):
        enterprise = Enterprise.objects.get(user=user)
        assert selectors.enterprise_decrypted(enterprise)["credit_code"] == data["credit_code"]
        # The duplicate lookup still finds the code under the new key alone.
        other = borrower("李华")
        response = post(api_client, other, company(other, 24))
        assert response.json()["code"] == "duplicate_credit_code"
    assert AuditEvent.objects.filter(action="pii.rotate", subject_type="enterprise").count() == 1


# --- The wizard page -------------------------------------------------------------------


def test_enterprise_page_permissions(client, make_user, borrower):
    url = reverse("accounts:onboarding-enterprise")
    check = reverse("accounts:onboarding-enterprise-check-code")
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert client.post(check, {"credit_code": "x"}).status_code == 302
    # Verified, but no borrower role: sent to choose roles; the code check is forbidden.
    investor = make_user("investor")
    services.identity_submit(user=investor, **person(next(_seq)))
    client.force_login(investor)
    assert client.get(url)["Location"] == reverse("accounts:onboarding-roles")
    assert client.post(check, {"credit_code": "x"}).status_code == 403
    # Staff never use customer pages: refused with the code.
    client.force_login(make_user("reviewer"))
    refused = client.get(url)
    assert refused.status_code == 403 and b'data-code="staff_not_allowed"' in refused.content
    assert client.post(check, {"credit_code": "x"}).status_code == 403
    # A borrower without an identity is sent to verify first.
    client.force_login(make_user("borrower"))
    assert client.get(url)["Location"] == reverse("accounts:onboarding-identity")
    client.force_login(borrower())
    page = client.get(url)
    assert page.status_code == 200
    assert "Company" in page.content.decode() and 'name="credit_code"' in page.content.decode()
    assert client.get(check).status_code == 405


def test_enterprise_page_registers_and_moves_on(client, borrower):
    user = borrower()
    client.force_login(user)
    response = client.post(reverse("accounts:onboarding-enterprise"), company(user, 25))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:onboarding-borrower")
    assert Enterprise.objects.filter(user=user).exists()
    page = client.get(reverse("accounts:onboarding-borrower")).content.decode()
    assert "深圳***有限公司" in page and "5,000,000 CNY" in page
    done = client.get(reverse("accounts:onboarding-enterprise")).content.decode()
    assert "Verified with the registry" in done and 'name="credit_code"' not in done


def test_enterprise_page_shows_refusals_next_to_fields_and_stores_nothing(client, borrower):
    user = borrower()
    client.force_login(user)
    before = counts(user)
    bad = company(user, credit_code="91440300MA0000018X", legal_representative_name="李华")
    response = client.post(reverse("accounts:onboarding-enterprise"), bad)
    assert response.status_code == 200
    page = response.content.decode()
    assert "check character is wrong" in page
    assert "legal representative must be you" in page
    assert counts(user) == before


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("91440300MA0000018X", "check character is wrong"),
        ("9144", "18 digits"),
        ("121000004000000129", "check character is wrong"),
        ("91110000600037341L", "The check character is right"),
    ],
)
def test_code_check_fragment(client, borrower, typed, shown):
    client.force_login(borrower())
    response = client.post(
        reverse("accounts:onboarding-enterprise-check-code"), {"credit_code": typed}
    )
    assert response.status_code == 200
    assert shown in response.content.decode()
    assert 'id="credit-code-check"' in response.content.decode()


def test_wizard_shows_the_optional_company_step_to_borrowers(client, borrower):
    client.force_login(borrower())
    page = client.get(reverse("accounts:onboarding-borrower")).content.decode()
    assert "if you borrow for a company" in page
    assert reverse("accounts:onboarding-enterprise") in page


# --- Admin: reviewers see masked facts, compliance may reveal -------------------------


def test_admin_enterprise_permissions(client, make_user, api_client, borrower):
    user = borrower()
    data = company(user, 26)
    assert post(api_client, user, data).status_code == 201
    enterprise = Enterprise.objects.get(user=user)
    listing = reverse("admin:accounts_enterprise_changelist")
    change = reverse("admin:accounts_enterprise_change", args=[enterprise.pk])
    reveal = reverse("admin:accounts_enterprise_reveal", args=[enterprise.pk])
    checks = reverse("admin:accounts_enterprisecheck_changelist")

    assert client.get(listing).status_code == 302  # anonymous: to the admin login
    client.force_login(make_user("investor"))
    assert client.get(listing).status_code == 302  # not staff
    client.force_login(make_user("approver"))
    assert client.get(listing).status_code == 403
    assert client.get(reveal).status_code == 403

    client.force_login(make_user("reviewer"))
    for url in (listing, change):
        response = client.get(url)
        assert response.status_code == 200
        page = response.content.decode()
        assert enterprise.credit_code_masked in page and enterprise.company_name_masked in page
        assert data["credit_code"] not in page and data["company_name"] not in page
    assert reveal not in client.get(change).content.decode()
    assert client.get(reveal).status_code == 403
    assert client.post(reveal, {"reason": REASON}).status_code == 403
    assert client.get(checks).status_code == 403

    officer = make_user("compliance")
    client.force_login(officer)
    assert client.get(checks).status_code == 200
    page = client.get(change).content.decode()
    assert reveal in page and data["credit_code"] not in page
    assert client.post(reveal, {"reason": "curious"}).status_code == 200
    assert not AuditEvent.objects.filter(action="pii.view").exists()
    shown = client.post(reveal, {"reason": REASON})
    assert shown.status_code == 200 and "no-store" in shown["Cache-Control"]
    assert data["credit_code"] in shown.content.decode()
    assert data["legal_representative_id"] in shown.content.decode()
    assert AuditEvent.objects.get(action="pii.view", actor=officer).after["reason"] == REASON
