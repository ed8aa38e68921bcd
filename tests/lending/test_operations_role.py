"""The operations role: defines products in the admin (audited, never repricing a listed loan)
and starts disbursements, which an approver, never the maker, checks above the threshold."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from core.audit import AuditEvent
from lending.models import Disbursement, Loan, Product
from lending.services.disbursements import disbursement_approve
from lending.services.investments import investment_place
from tests.ledger import fund
from tests.lending.factories import LoanFactory

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:lending_product_add")


def _rates(rates: dict) -> dict:
    """The grade table's inputs as the browser posts them (one per grade, empty if unpriced)."""
    return {f"rates_by_grade_{g}": str(rates.get(g, "")) for g in "ABCDE"}


def _product_form(**overrides) -> dict:
    rates = overrides.pop("rates", {"A": "0.0900", "B": "0.11"})
    data = {
        "code": "sme-working-capital",
        "name": "SME working capital",
        "description": "For small businesses",
        "is_active": "on",
        "currency": "CNY",
        "term_options": ["12", "6"],
        "min_amount": "5000.00",
        "max_amount": "300000.00",
        "methods": ["equal_installment", "interest_only"],
        **_rates(rates),
        "service_fee_rate": "0.015",
        "platform_fee_rate": "0.10",
        "late_fee_amount": "30.00",
        "penalty_daily_rate": "0.0005",
        "grace_days": "3",
        "prepayment_fee_rate": "0",
        "reminder_days": "[-3, 0, 1, 7]",
        "default_after_days": "90",
        "write_off_after_days": "180",
        "funding_window_days": "10",
        "offer_window_days": "7",
        "min_investment_amount": "100.00",
        "investment_step_amount": "100.00",
        "cooling_off_hours": "24",
        "auto_invest_max_share": "0.500",
        "_save": "Save",
    }
    data.update(overrides)
    return data


def _change_form(product: Product, **overrides) -> dict:
    data = _product_form(
        code=product.code,
        name=product.name,
        description=product.description,
        term_options=[str(t) for t in product.term_options],
        methods=list(product.methods),
        rates=overrides.pop("rates", product.rates_by_grade),
        min_amount=str(product.min_amount),
        max_amount=str(product.max_amount),
        service_fee_rate=str(product.service_fee_rate),
        platform_fee_rate=str(product.platform_fee_rate),
        late_fee_amount=str(product.late_fee_amount),
        penalty_daily_rate=str(product.penalty_daily_rate),
        grace_days=str(product.grace_days),
        funding_window_days=str(product.funding_window_days),
        min_investment_amount=str(product.min_investment_amount),
        investment_step_amount=str(product.investment_step_amount),
        cooling_off_hours=str(product.cooling_off_hours),
    )
    data.update(overrides)
    return data


@pytest.fixture
def operations(make_user):
    return make_user("operations")


def test_operations_user_adds_a_product_in_the_admin_and_it_is_audited(client, operations):
    client.force_login(operations)
    assert client.get(ADD_URL).status_code == 200
    response = client.post(ADD_URL, _product_form())
    assert response.status_code == 302, response.content.decode()[:3000]
    product = Product.objects.get(code="sme-working-capital")
    assert product.term_options == [6, 12]
    assert product.rates_by_grade == {"A": "0.0900", "B": "0.11"}
    assert product.service_fee_rate == D("0.015")
    event = AuditEvent.objects.get(action="lending.product_created")
    assert event.actor_id == operations.pk and event.subject_id == str(product.pk)
    assert event.after["service_fee_rate"] == "0.015000"
    assert event.after["methods"] == ["equal_installment", "interest_only"]


def test_a_product_change_is_audited_and_never_reprices_a_listed_loan(
    client, operations, make_user, onboarding, product, settings
):
    # The factory product's shortest terms are above the cost ceiling (see
    # test_product_cost_ceiling.py); this test is about the audit trail.
    settings.LENDING_COST_CEILING_RATE = D("1")
    borrower = onboarding.borrower(make_user("borrower"))
    loan = LoanFactory(borrower=borrower, product=product, amount=D("10000.00"))
    terms = {
        f: getattr(loan, f)
        for f in (
            "annual_rate",
            "service_fee_rate",
            "platform_fee_rate",
            "late_fee_amount",
            "penalty_daily_rate",
            "grace_days",
            "term_months",
            "method",
        )
    }
    client.force_login(operations)
    url = reverse("admin:lending_product_change", args=[product.pk])
    response = client.post(
        url,
        _change_form(
            product,
            service_fee_rate="0.05",
            late_fee_amount="80.00",
            rates={"A": "0.0800", "B": "0.2000", "C": "0.1200"},
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    product.refresh_from_db()
    assert product.service_fee_rate == D("0.05") and product.rate_for("B") == D("0.2000")
    loan.refresh_from_db()
    assert {f: getattr(loan, f) for f in terms} == terms
    event = AuditEvent.objects.get(action="lending.product_changed")
    assert event.actor_id == operations.pk
    # Only what changed, before and after ("0.02" and "0.020000" are the same rate).
    assert set(event.before) == {"service_fee_rate", "late_fee_amount", "rates_by_grade"}
    assert event.before["service_fee_rate"] == "0.020000"
    assert event.after["service_fee_rate"] == "0.050000"
    assert event.after["rates_by_grade"]["B"] == "0.2000"
    assert "D" not in event.after["rates_by_grade"]


def test_saving_an_unchanged_product_writes_no_audit_event(client, operations, product, settings):
    # The factory product's shortest terms are above the cost ceiling (see
    # test_product_cost_ceiling.py); this test is about the audit trail.
    settings.LENDING_COST_CEILING_RATE = D("1")
    client.force_login(operations)
    url = reverse("admin:lending_product_change", args=[product.pk])
    assert client.post(url, _change_form(product)).status_code == 302
    assert not AuditEvent.objects.filter(action__startswith="lending.product_").exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("term_options", []),
        ("term_options", ["0"]),
        ("term_options", ["twelve"]),
        ("methods", []),
        ("methods", ["balloon"]),
        ("rates", {}),
        ("rates", {"A": "1.2"}),
        ("rates", {"A": "abc"}),
        ("rates", {"A": "0.0000001"}),
        ("rates", {"A": "0"}),
        ("rates", {"A": "NaN"}),
        ("rates", {"A": "1e-2"}),
        ("rates", {"A": "\uff10.\uff10\uff18"}),  # full-width digits
        ("rates", {"A": "-0.08"}),
        ("service_fee_rate", "1"),
        ("platform_fee_rate", "-0.1"),
        ("late_fee_amount", "-1"),
        ("max_amount", "10.00"),
        ("investment_step_amount", "0"),
    ],
)
def test_a_product_ops_could_not_list_is_refused_and_nothing_is_saved(
    client, operations, field, value
):
    client.force_login(operations)
    response = client.post(ADD_URL, _product_form(**{field: value}))
    assert response.status_code == 200  # the form again, with the error
    assert "errornote" in response.content.decode()
    assert not Product.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="lending.product_").exists()


@pytest.mark.parametrize("role", ["reviewer", "approver", "investor"])
def test_other_roles_cannot_add_or_change_products(client, make_user, product, role):
    client.force_login(make_user(role))
    change_url = reverse("admin:lending_product_change", args=[product.pk])
    add = client.post(ADD_URL, _product_form())
    change = client.post(change_url, _change_form(product, name="Renamed"))
    if role == "investor":  # not staff: the admin sends them to its login page
        assert add.status_code == change.status_code == 302
        assert add["Location"].startswith("/admin/login/")
    else:
        assert add.status_code == change.status_code == 403
    assert Product.objects.count() == 1 and Product.objects.get().name == "Personal loan"
    assert not AuditEvent.objects.filter(action__startswith="lending.product_").exists()


def test_operations_cannot_delete_a_product(client, operations, product):
    client.force_login(operations)
    url = reverse("admin:lending_product_delete", args=[product.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Product.objects.filter(pk=product.pk).exists()


def test_operations_user_without_totp_is_sent_to_enrolment(client, make_user):
    client.force_login(make_user("operations", mfa=False))
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"


@pytest.fixture
def funded_loan(make_user, onboarding, product):
    """A funded 60,000.00 loan: above the checker threshold."""
    borrower = onboarding.borrower(make_user("borrower"))
    loan = LoanFactory(borrower=borrower, product=product, amount=D("60000"))
    user = fund(onboarding.investor(make_user("investor")), "60000")
    investment_place(investor=user, loan_id=loan.pk, amount=D("60000"), idempotency_key="o")
    return loan


def test_operations_start_a_disbursement_in_the_admin_and_an_approver_checks_it(
    client, operations, make_user, funded_loan
):
    url = reverse("admin:lending_loan_changelist")
    client.force_login(operations)
    listing = client.get(url).content.decode()
    # Operations are offered the maker's action only.
    assert 'value="start_disbursement"' in listing
    assert 'value="approve_disbursement"' not in listing
    client.post(url, {"action": "start_disbursement", "_selected_action": [funded_loan.pk]})
    disbursement = Disbursement.objects.get(loan=funded_loan)
    assert disbursement.status == "pending_approval"
    assert disbursement.requested_by_id == operations.pk
    # An action not offered is refused by the admin, and the service refuses the role anyway.
    client.post(url, {"action": "approve_disbursement", "_selected_action": [funded_loan.pk]})
    assert Disbursement.objects.get(loan=funded_loan).status == "pending_approval"
    with pytest.raises(Exception) as exc:
        disbursement_approve(loan_id=funded_loan.pk, checker=operations)
    assert exc.value.code == "role_required"
    client.force_login(make_user("approver"))
    client.post(url, {"action": "approve_disbursement", "_selected_action": [funded_loan.pk]})
    assert Disbursement.objects.get(loan=funded_loan).status == "settled"
    assert Loan.objects.get(pk=funded_loan.pk).status == "repaying"


def test_operations_and_approver_in_one_person_still_cannot_check_their_own_start(
    make_user, funded_loan
):
    from lending.services.disbursements import disbursement_start

    both = make_user("operations", "approver")
    disbursement_start(loan_id=funded_loan.pk, maker=both)
    with pytest.raises(Exception) as exc:
        disbursement_approve(loan_id=funded_loan.pk, checker=both)
    assert exc.value.code == "same_approver"


def test_operations_start_a_disbursement_through_the_api_but_cannot_approve(
    api_client, operations, funded_loan
):
    api_client.force_login(operations)
    start = api_client.post(
        reverse("api:ops-loan-disburse", kwargs={"pk": funded_loan.pk}),
        HTTP_IDEMPOTENCY_KEY="ops-start-1",
    )
    assert start.status_code == 201, start.content
    assert start.json()["status"] == "pending_approval"
    approve = api_client.post(
        reverse("api:ops-loan-disburse-approve", kwargs={"pk": funded_loan.pk}),
        HTTP_IDEMPOTENCY_KEY="ops-approve-1",
    )
    assert approve.status_code == 403
    assert Disbursement.objects.get(loan=funded_loan).status == "pending_approval"
