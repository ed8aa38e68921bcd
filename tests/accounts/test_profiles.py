"""Role grants and investor and borrower profiles through their services."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.test import override_settings

from accounts import services
from accounts.adapters.identity import sandbox_bank_card, sandbox_national_id, sandbox_phone
from accounts.errors import IdentityNotVerified, RoleNotAllowed, RoleRequired, SuitabilityRefused
from accounts.models import BorrowerProfile, InvestorProfile
from core.audit import AuditEvent
from core.policies import RISK_KEYS


def verified(make_user, n=1, *roles):
    user = make_user(*roles)
    services.identity_submit(
        user=user,
        legal_name="李华",
        national_id=sandbox_national_id(birth=datetime.date(1988, 8, 8), sequence=n),
        phone=sandbox_phone(n),
        bank_card=sandbox_bank_card(n),
    )
    return user


def answers(**overrides):
    values = {
        "risk_tolerance": "high",
        "investment_experience": "moderate",
        "risks_acknowledged": frozenset(RISK_KEYS),
        "annual_income_amount": Decimal("300000.00"),
        "net_investible_assets_amount": Decimal("800000.00"),
        "investor_type": "retail",
    }
    values.update(overrides)
    return services.SuitabilityInput(**values)


@pytest.mark.django_db
def test_role_grant_needs_a_verified_identity(make_user):
    user = make_user()
    with pytest.raises(IdentityNotVerified):
        services.role_grant(user=user, roles=["investor"])
    assert not user.groups.exists()


@pytest.mark.django_db
def test_a_verified_person_may_be_investor_and_borrower_and_grants_are_audited(make_user):
    user = verified(make_user)
    assert services.role_grant(user=user, roles=["investor"]) == {"investor"}
    assert services.role_grant(user=user, roles=["investor", "borrower"]) == {"borrower"}
    assert services.role_grant(user=user, roles=["borrower"]) == set()
    assert set(user.groups.values_list("name", flat=True)) == {"investor", "borrower"}
    events = AuditEvent.objects.filter(action="role.grant", subject_id=str(user.pk))
    assert [e.after["granted"] for e in events] == [["investor"], ["borrower"]]


@pytest.mark.django_db
@pytest.mark.parametrize("roles", [["reviewer"], ["investor", "regulator"], []])
def test_role_grant_refuses_staff_roles(make_user, roles):
    user = verified(make_user)
    with pytest.raises(RoleNotAllowed):
        services.role_grant(user=user, roles=roles)
    assert not user.groups.exists()


@pytest.mark.django_db
def test_investor_profile_stores_answers_with_risk_level_and_limits(make_user):
    user = verified(make_user, 2, "investor")
    profile = services.investor_profile_submit(user=user, answers=answers())
    profile.refresh_from_db()
    assert (profile.risk_level, profile.max_loan_grade) == ("growth", "D")
    assert profile.total_limit_amount == Decimal("80000.00")
    assert profile.per_loan_limit_amount == Decimal("8000.00")
    assert profile.currency == "CNY"
    assert profile.risks_acknowledged == list(RISK_KEYS)
    event = AuditEvent.objects.get(action="investor_profile.assess")
    assert event.after["risk_level"] == "growth"


@pytest.mark.django_db
@override_settings(RETAIL_INVESTMENT_CAP_SHARE=Decimal("0.25"))
def test_retail_cap_share_follows_the_setting(make_user):
    user = make_user("investor")
    profile = services.investor_profile_submit(user=user, answers=answers())
    assert profile.total_limit_amount == Decimal("200000.00")


@pytest.mark.django_db
def test_a_new_questionnaire_replaces_the_assessment(make_user):
    user = make_user("investor")
    services.investor_profile_submit(user=user, answers=answers())
    services.investor_profile_submit(user=user, answers=answers(risk_tolerance="very_low"))
    profile = InvestorProfile.objects.get(user=user)
    assert profile.risk_level == "conservative"
    last = AuditEvent.objects.filter(action="investor_profile.assess").last()
    assert last.before["risk_level"] == "growth"


@pytest.mark.django_db
def test_investor_profile_refuses_unacknowledged_risks_and_stores_nothing(make_user):
    user = make_user("investor")
    with pytest.raises(SuitabilityRefused) as refused:
        services.investor_profile_submit(
            user=user, answers=answers(risks_acknowledged=frozenset(RISK_KEYS[:9]))
        )
    assert refused.value.code == "risks_not_acknowledged"
    assert not InvestorProfile.objects.exists()
    assert not AuditEvent.objects.filter(action="investor_profile.assess").exists()


@pytest.mark.django_db
def test_investor_profile_needs_the_investor_role(make_user):
    with pytest.raises(RoleRequired) as refused:
        services.investor_profile_submit(user=make_user("borrower"), answers=answers())
    assert refused.value.code == "investor_role_required"


@pytest.mark.django_db
def test_borrower_profile_is_stored_with_decimal_money_and_audited(make_user):
    user = make_user("borrower")
    profile = services.borrower_profile_submit(
        user=user,
        employment_status="employed",
        employer="  Acme Ltd ",
        monthly_income_amount=Decimal("18000.50"),
        monthly_obligations_amount=Decimal("3500.00"),
        other_platform_outstanding_amount=Decimal("0.00"),
        purposes=["education", "education", "vehicle"],
    )
    profile.refresh_from_db()
    assert profile.employer == "Acme Ltd"
    assert profile.monthly_income_amount == Decimal("18000.50")
    assert profile.purposes == ["education", "vehicle"]
    assert AuditEvent.objects.filter(action="borrower_profile.create").count() == 1


@pytest.mark.django_db
def test_database_refuses_negative_profile_amounts(make_user):
    user = make_user("borrower")
    with pytest.raises(IntegrityError), transaction.atomic():
        BorrowerProfile.objects.create(
            user=user,
            employment_status="employed",
            monthly_income_amount=Decimal("-1.00"),
            monthly_obligations_amount=Decimal("0"),
            other_platform_outstanding_amount=Decimal("0"),
            purposes=["other"],
            currency="CNY",
            updated_at=datetime.datetime.now(datetime.UTC),
        )
