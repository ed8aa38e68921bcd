"""Every customer-only service refuses every staff role itself, before any work.

DESIGN.md section 7: staff never hold a sub-account, move money, take an identity check or a
customer role, and never invest, borrow or apply; "the service refuses them, not only the
view". Each service is called as each staff role (holding the customer roles too, with
money in the ledger, so nothing but the guard stands in the way) and must raise
StaffNotAllowed and write nothing: no row in any table of the apps, no group, no ledger
entry, no sub-account, no movement, no audit event, no password guess counted.
"""

import datetime
from decimal import Decimal as D

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command

from accounts import services as accounts_services
from accounts.adapters.identity import sandbox_bank_card, sandbox_national_id, sandbox_phone
from accounts.errors import StaffNotAllowed
from accounts.models import Identity, IdentityCheck
from accounts.services import enterprise as services_enterprise
from core.policies import RISK_KEYS
from custody.models import Deposit, SubAccount, Withdrawal
from custody.services.authorisation import authorisation_failures, withdrawal_authorise
from custody.services.movements import deposit_request, sub_account_ensure, withdrawal_request
from lending.services.applications import application_submit
from lending.services.auto_invest_rules import auto_invest_rule_create
from lending.services.investments import (
    ensure_investment_allowed,
    investment_cancel,
    investment_place,
)
from lending.services.repayments import (
    authorisation_grant,
    authorisation_revoke,
    repayment_make,
)
from tests.accounts.auth_support import post_json, totp_code, totp_secret_of
from tests.ledger import fund
from tests.lending.factories import LoanFactory, ProductFactory
from tests.permission_roles import STAFF_ROLES

pytestmark = pytest.mark.django_db

MISSING = 999999


def _product():
    return ProductFactory(
        term_options=[12], methods=["equal_installment"], rates_by_grade={"B": "0.1000"}
    )


SERVICES = {
    "identity_submit": lambda user, ctx: accounts_services.identity_submit(
        user=user,
        legal_name="Zhang Wei",
        national_id=sandbox_national_id(birth=datetime.date(1980, 1, 1), sequence=user.pk),
        phone=sandbox_phone(user.pk),
        bank_card=sandbox_bank_card(user.pk),
    ),
    "role_grant": lambda user, ctx: accounts_services.role_grant(user=user, roles=["investor"]),
    "investor_profile_submit": lambda user, ctx: accounts_services.investor_profile_submit(
        user=user,
        answers=accounts_services.SuitabilityInput(
            risk_tolerance="medium",
            investment_experience="limited",
            risks_acknowledged=frozenset(RISK_KEYS),
            annual_income_amount=D("150000"),
            net_investible_assets_amount=D("100000"),
            investor_type="retail",
        ),
    ),
    "borrower_profile_submit": lambda user, ctx: accounts_services.borrower_profile_submit(
        user=user,
        employment_status="employed",
        employer="Shanghai Metro",
        monthly_income_amount=D("12000"),
        monthly_obligations_amount=D("2000"),
        other_platform_outstanding_amount=D("0"),
        purposes=["education"],
    ),
    "enterprise_submit": lambda user, ctx: services_enterprise.enterprise_submit(
        user=user,
        company_name="深圳湾科技有限公司",
        credit_code="91440300MA0000001L",
        legal_representative_name="Zhang Wei",
        legal_representative_id="440305199207020027",
        registered_address="广东省深圳市南山区科苑路15号",
    ),
    "sub_account_ensure": lambda user, ctx: sub_account_ensure(user=user),
    "deposit_request": lambda user, ctx: deposit_request(
        user=user, amount=D("100.00"), request_key="staff-deposit"
    ),
    "withdrawal_request": lambda user, ctx: withdrawal_request(
        user=user,
        amount=D("100.00"),
        confirmation=user.test_password,
        request_key="staff-withdrawal",
    ),
    "withdrawal_authorise": lambda user, ctx: withdrawal_authorise(
        user=user, amount=D("100.00"), confirmation=user.test_password, custodian="sandbox"
    ),
    "application_submit": lambda user, ctx: application_submit(
        borrower=user,
        product_id=ctx["product"].pk,
        amount=D("20000"),
        term_months=12,
        method="equal_installment",
        purpose="education",
    ),
    "investment_place": lambda user, ctx: investment_place(
        investor=user, loan_id=ctx["loan"].pk, amount=D("100"), idempotency_key="staff-invest"
    ),
    "ensure_investment_allowed": lambda user, ctx: ensure_investment_allowed(
        investor=user, loan_id=ctx["loan"].pk, amount=D("100")
    ),
    "investment_cancel": lambda user, ctx: investment_cancel(investor=user, investment_id=MISSING),
    "auto_invest_rule_create": lambda user, ctx: auto_invest_rule_create(
        investor=user, grades=["B"], amount_per_loan=D("1000"), max_borrower_share=D("0.2")
    ),
    "repayment_make": lambda user, ctx: repayment_make(
        loan_id=ctx["loan"].pk, borrower=user, kind="due", idempotency_key="staff-repay"
    ),
    "authorisation_grant": lambda user, ctx: authorisation_grant(
        loan_id=ctx["loan"].pk, borrower=user
    ),
    "authorisation_revoke": lambda user, ctx: authorisation_revoke(
        loan_id=ctx["loan"].pk, borrower=user
    ),
}


def _rows() -> dict[str, int]:
    """Rows in every table of the apps, and the users' group memberships."""
    counts = {
        model._meta.label: model.objects.count()
        for label in ("accounts", "custody", "lending", "compliance")
        for model in apps.get_app_config(label).get_models()
    }
    counts["user_groups"] = get_user_model().groups.through.objects.count()
    return counts


@pytest.fixture
def context(make_user):
    product = _product()
    loan = LoanFactory(borrower=make_user("borrower"), product=product, amount=D("10000.00"))
    return {"product": product, "loan": loan}


@pytest.mark.parametrize("role", STAFF_ROLES)
@pytest.mark.parametrize("service", sorted(SERVICES))
def test_customer_only_service_refuses_staff_and_writes_nothing(make_user, context, service, role):
    # A staff account that also holds both customer roles and money: only the guard refuses.
    user = make_user(role, "investor", "borrower")
    fund(user, "1000.00")
    before = _rows()
    with pytest.raises(StaffNotAllowed) as refused:
        SERVICES[service](user, context)
    assert refused.value.code == "staff_not_allowed"
    assert refused.value.status_code == 403
    assert _rows() == before
    assert authorisation_failures(user_id=user.pk) == 0


@pytest.mark.parametrize("flag", ["is_staff", "is_superuser"])
def test_admin_flags_alone_make_an_account_staff(make_user, context, flag):
    user = make_user("investor", mfa=True)
    setattr(user, flag, True)
    user.save(update_fields=[flag])
    before = _rows()
    with pytest.raises(StaffNotAllowed):
        deposit_request(user=user, amount=D("100.00"), request_key="flagged")
    assert _rows() == before


def test_a_regulator_signed_in_through_the_app_api_is_refused_the_customer_paths(client):
    """Issue 12's report: a regulator made with create_staff, signed in with TOTP through
    the app API, deposited (201), withdrew (201) and verified an identity (201)."""
    password = "Regulator-pass-phrase-1"
    call_command("create_staff", email="reg@example.test", role="regulator", password=password)
    regulator = get_user_model().objects.get(email="reg@example.test")
    TOTP.activate(regulator, generate_totp_secret())
    held = post_json(client, "/auth/login", {"email": regulator.email, "password": password})
    token = held.json()["meta"]["session_token"]
    signed_in = post_json(
        client,
        "/auth/2fa/authenticate",
        {"code": totp_code(totp_secret_of(regulator))},
        token=token,
    )
    assert signed_in.status_code == 200, signed_in.content
    token = signed_in.json()["meta"]["session_token"]
    fund(regulator, "500.00")
    before = _rows()

    def api_post(path, body, key):
        return client.post(
            path,
            body,
            content_type="application/json",
            headers={"X-Session-Token": token, "Idempotency-Key": key},
        )

    assert client.get("/api/v1/me", headers={"X-Session-Token": token}).status_code == 200
    for path, body in (
        ("/api/v1/wallet/deposits", {"amount": "100.00"}),
        ("/api/v1/wallet/withdrawals", {"amount": "100.00", "password": password}),
        (
            "/api/v1/me/identity",
            {
                "legal_name": "Zhang Wei",
                "national_id": sandbox_national_id(birth=datetime.date(1980, 1, 1), sequence=77),
                "phone": sandbox_phone(77),
                "bank_card": sandbox_bank_card(77),
            },
        ),
    ):
        response = api_post(path, body, key=f"k-{path}")
        assert response.status_code == 403, (path, response.content)
        assert response.json()["code"] == "staff_not_allowed"
    assert _rows() == before
    assert not Deposit.objects.exists() and not Withdrawal.objects.exists()
    assert not SubAccount.objects.exists()
    assert not Identity.objects.exists() and not IdentityCheck.objects.exists()
