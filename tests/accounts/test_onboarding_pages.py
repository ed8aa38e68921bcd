"""The onboarding pages: dashboard, wizard steps, settings; forms call the same services."""

import datetime
import re

import pytest
from django.urls import reverse

from accounts import services
from accounts.adapters.identity import sandbox_bank_card, sandbox_national_id, sandbox_phone
from accounts.models import BorrowerProfile, Identity, IdentityCheck, InvestorProfile
from core.audit import AuditEvent
from core.policies import RISK_KEYS


def identity_form(n=1, **overrides):
    data = {
        "legal_name": "周杰",
        "national_id": sandbox_national_id(birth=datetime.date(1991, 9, 9), sequence=n),
        "phone": sandbox_phone(500 + n),
        "bank_card": sandbox_bank_card(500 + n),
    }
    data.update(overrides)
    return data


INVESTOR_FORM = {
    "investor_type": "retail",
    "risk_tolerance": "low",
    "investment_experience": "none",
    "annual_income_amount": "90000.00",
    "net_investible_assets_amount": "200000.00",
    **{f"risk_{key}": "on" for key in RISK_KEYS},
}
BORROWER_FORM = {
    "employment_status": "self_employed",
    "employer": "",
    "monthly_income_amount": "9000.00",
    "monthly_obligations_amount": "1200.00",
    "other_platform_outstanding_amount": "0.00",
    "purposes": ["vehicle", "other"],
}


@pytest.fixture
def signed_in(client, make_user):
    def sign_in(*roles):
        user = make_user(*roles)
        client.force_login(user)
        return user

    return sign_in


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        "accounts:dashboard",
        "accounts:onboarding-identity",
        "accounts:settings",
        "accounts:onboarding",
    ],
)
def test_pages_need_sign_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_dashboard_tells_a_new_user_to_verify_first(client, signed_in):
    signed_in()
    page = client.get(reverse("accounts:dashboard")).content.decode()
    assert "Verify your identity" in page
    assert reverse("accounts:onboarding") in page
    assert "Not verified" in page


@pytest.mark.django_db
def test_wizard_walks_identity_roles_investor_borrower_then_dashboard(client, signed_in):
    user = signed_in()
    assert client.get(reverse("accounts:onboarding"))["Location"] == reverse(
        "accounts:onboarding-identity"
    )
    page = client.get(reverse("accounts:onboarding-identity")).content.decode()
    assert 'aria-current="step"' in page and "Verify identity" in page

    response = client.post(reverse("accounts:onboarding-identity"), identity_form())
    assert response["Location"] == reverse("accounts:onboarding-roles")
    assert Identity.objects.filter(user=user).exists()

    response = client.post(
        reverse("accounts:onboarding-roles"), {"roles": ["investor", "borrower"]}
    )
    assert response["Location"] == reverse("accounts:onboarding-investor")

    response = client.post(reverse("accounts:onboarding-investor"), INVESTOR_FORM)
    assert response["Location"] == reverse("accounts:onboarding-borrower")
    profile = InvestorProfile.objects.get(user=user)
    assert (profile.risk_level, profile.total_limit_amount) == ("moderate", 20000)

    response = client.post(reverse("accounts:onboarding-borrower"), BORROWER_FORM)
    assert response["Location"] == reverse("accounts:dashboard")
    assert BorrowerProfile.objects.get(user=user).purposes == ["vehicle", "other"]

    page = client.get(reverse("accounts:dashboard")).content.decode()
    assert "all set" in page and "20,000.00 CNY" in page
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "identity.verify",
        "role.grant",
        "investor_profile.assess",
        "borrower_profile.create",
    } <= actions


@pytest.mark.django_db
def test_identity_page_shows_errors_next_to_fields_and_stores_no_pii(client, signed_in):
    user = signed_in()
    data = identity_form(2, national_id="110105199109090011", bank_card="4111111111111112")
    response = client.post(reverse("accounts:onboarding-identity"), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "not a valid resident ID number" in page
    assert "bank card number is not valid" in page
    assert not Identity.objects.filter(user=user).exists()
    assert IdentityCheck.objects.get(user=user).status == "rejected"


@pytest.mark.django_db
def test_identity_page_refuses_a_duplicate_phone(client, signed_in, make_user):
    from accounts import services

    services.identity_submit(user=make_user(), **identity_form(3))
    signed_in()
    response = client.post(
        reverse("accounts:onboarding-identity"), identity_form(4, phone=identity_form(3)["phone"])
    )
    assert response.status_code == 200
    assert "phone number is already registered" in response.content.decode()


@pytest.mark.django_db
def test_roles_page_needs_identity_and_a_choice(client, signed_in):
    signed_in()
    assert client.get(reverse("accounts:onboarding-roles"))["Location"] == reverse(
        "accounts:onboarding-identity"
    )
    client.post(reverse("accounts:onboarding-identity"), identity_form(5))
    response = client.post(reverse("accounts:onboarding-roles"), {})
    assert "Choose at least one role." in response.content.decode()


@pytest.mark.django_db
def test_investor_page_needs_every_risk_ticked(client, signed_in):
    user = signed_in("investor")
    form = {k: v for k, v in INVESTOR_FORM.items() if k != "risk_tax"}
    response = client.post(reverse("accounts:onboarding-investor"), form)
    assert response.status_code == 200
    assert "Tick to confirm you understand this risk." in response.content.decode()
    assert not InvestorProfile.objects.filter(user=user).exists()


@pytest.mark.django_db
def test_investor_page_shows_sophisticated_refusal(client, signed_in):
    signed_in("investor")
    response = client.post(
        reverse("accounts:onboarding-investor"), {**INVESTOR_FORM, "investor_type": "sophisticated"}
    )
    assert "A sophisticated investor needs" in response.content.decode()
    assert not InvestorProfile.objects.exists()


@pytest.mark.django_db
def test_investor_preview_returns_the_assessment_fragment(client, signed_in):
    signed_in("investor")
    response = client.post(
        reverse("accounts:onboarding-investor-preview"),
        {**INVESTOR_FORM, "risk_tolerance": "high", "investment_experience": "moderate"},
    )
    fragment = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in fragment
    assert "Growth" in fragment and "grade D" in fragment and "20,000.00 CNY" in fragment
    assert not InvestorProfile.objects.exists()


@pytest.mark.django_db
def test_profile_pages_need_their_role(client, signed_in):
    signed_in()
    for name in ("accounts:onboarding-investor", "accounts:onboarding-borrower"):
        assert client.get(reverse(name))["Location"] == reverse("accounts:onboarding-roles")


@pytest.mark.django_db
def test_borrower_page_needs_employer_when_employed(client, signed_in):
    user = signed_in("borrower")
    response = client.post(
        reverse("accounts:onboarding-borrower"), {**BORROWER_FORM, "employment_status": "employed"}
    )
    assert "Name your employer." in response.content.decode()
    assert not BorrowerProfile.objects.filter(user=user).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["borrower", "roles"])
def test_list_fields_refuse_more_values_than_choices(client, signed_in, page):
    user = signed_in("borrower") if page == "borrower" else signed_in()
    if page == "roles":
        services.identity_submit(user=user, **identity_form(9))
        data = {"roles": ["investor"] * 500}
    else:
        data = {**BORROWER_FORM, "purposes": ["other"] * 500}
    response = client.post(reverse(f"accounts:onboarding-{page}"), data)
    assert response.status_code == 200
    assert "Choose at most" in response.content.decode()
    assert not BorrowerProfile.objects.filter(user=user).exists()
    assert not user.groups.exclude(name="borrower").exists()


@pytest.mark.django_db
def test_settings_page_shows_masked_identity_and_security_links(client, signed_in):
    user = signed_in()
    data = identity_form(6)
    client.post(reverse("accounts:onboarding-identity"), data)
    page = client.get(reverse("accounts:settings")).content.decode()
    identity = Identity.objects.get(user=user)
    assert identity.national_id_masked in page and identity.phone_masked in page
    for value in (data["national_id"], data["phone"], data["bank_card"]):
        assert value not in page
    for link in ("/accounts/email/", "/accounts/password/change/", "/accounts/2fa/"):
        assert f'href="{link}"' in page


@pytest.mark.django_db
def test_pages_have_no_inline_scripts_or_styles(client, signed_in):
    signed_in("investor", "borrower")
    for name in (
        "accounts:dashboard",
        "accounts:settings",
        "accounts:onboarding-identity",
    ):
        page = client.get(reverse(name), follow=True).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
        assert " style=" not in page and "<style" not in page


@pytest.mark.django_db
def test_nav_shows_role_sections_and_setup_link(client, signed_in):
    signed_in()
    page = client.get(reverse("accounts:dashboard")).content.decode()
    assert "Finish setup" in page
    signed_in("investor")
    page = client.get(reverse("accounts:dashboard")).content.decode()
    assert "Finish setup" not in page
    assert 'href="/settings/"' in page


@pytest.mark.django_db
def test_staff_holding_a_customer_role_are_offered_no_customer_pages(client, make_user):
    client.force_login(make_user("reviewer", "investor", "borrower"))
    page = client.get(reverse("accounts:dashboard"))
    nav = page.content.decode().split("<nav", 1)[1].split("</nav>", 1)[0]
    for name in ("lending:loan-list", "lending:application-create", "custody:wallet"):
        assert f'href="{reverse(name)}"' not in nav
    assert 'href="/admin/"' in nav
    refused = client.get(reverse("custody:wallet"))
    assert refused.status_code == 403 and b'data-code="staff_not_allowed"' in refused.content
