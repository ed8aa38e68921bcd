"""Auto-invest rules are paused, resumed, edited and deleted by their owner, through the API
(PATCH/DELETE /api/v1/auto-invest-rules/{id}) and the page; another investor's rule is 404;
a paused or deleted rule invests in nothing, and its past investments keep their source."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from core.models import AuditEvent
from lending.models import AutoInvestRule, Investment
from lending.services.auto_invest import auto_invest_run
from lending.services.auto_invest_rules import auto_invest_rule_update
from tests.ledger import available, fund
from tests.lending.factories import AutoInvestRuleFactory, LoanFactory

pytestmark = pytest.mark.django_db


def detail(rule) -> str:
    return reverse("api:auto-invest-rule-detail", args=[rule.pk])


@pytest.fixture
def rule(investor):
    return AutoInvestRuleFactory(investor=investor, grades=["A", "B"])


@pytest.fixture
def stranger(make_user, onboarding):
    return fund(onboarding.investor(make_user("investor")), "50000.00")


def new_loan(make_user, onboarding, product, **kw):
    borrower = onboarding.borrower(make_user("borrower"))
    fields = {"amount": D("10000"), "grade": "B", "auto_invest_done_at": None, **kw}
    return LoanFactory(borrower=borrower, product=product, **fields)


def test_patch_pauses_and_resumes_a_rule_and_audits_each(api_client, investor, rule):
    api_client.force_authenticate(investor)
    paused = api_client.patch(detail(rule), {"is_active": False}, format="json")
    assert paused.status_code == 200, paused.content
    assert paused.json()["is_active"] is False
    rule.refresh_from_db()
    assert not rule.is_active
    resumed = api_client.patch(detail(rule), {"is_active": True}, format="json")
    assert resumed.json()["is_active"] is True
    actions = list(
        AuditEvent.objects.filter(subject_type="auto_invest_rule", subject_id=str(rule.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["lending.auto_invest_rule_paused", "lending.auto_invest_rule_resumed"]


def test_patch_changes_only_the_fields_given(api_client, investor, rule):
    api_client.force_authenticate(investor)
    response = api_client.patch(
        detail(rule), {"amount_per_loan": "300.00", "grades": ["C"]}, format="json"
    )
    assert response.status_code == 200, response.content
    rule.refresh_from_db()
    assert rule.amount_per_loan == D("300.00") and rule.grades == ["C"]
    assert rule.max_borrower_share == D("1") and rule.is_active
    event = AuditEvent.objects.get(action="lending.auto_invest_rule_updated")
    assert event.before == {"amount_per_loan": "2000.00", "grades": ["A", "B"]}
    assert event.after == {"amount_per_loan": "300.00", "grades": ["C"]}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"max_term_months": 2}, "auto_invest_rule_invalid"),  # below the stored minimum 3
        ({"min_rate": "0.5", "max_rate": "0.1"}, "validation_error"),
        ({"amount_per_loan": "0"}, "amount_not_positive"),
        ({"is_active": "no"}, "wrong_type"),
        ({"grades": []}, "empty"),
    ],
)
def test_a_bad_patch_is_400_with_a_code_and_changes_nothing(api_client, investor, rule, body, code):
    AutoInvestRule.objects.filter(pk=rule.pk).update(min_term_months=3, max_term_months=24)
    api_client.force_authenticate(investor)
    response = api_client.patch(detail(rule), body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code
    before = AutoInvestRule.objects.get(pk=rule.pk)
    assert (before.amount_per_loan, before.grades, before.is_active) == (
        D("2000.00"),
        ["A", "B"],
        True,
    )


def test_a_patch_that_crosses_the_stored_range_is_refused(api_client, investor, rule):
    AutoInvestRule.objects.filter(pk=rule.pk).update(min_rate=D("0.08"), max_rate=D("0.2"))
    api_client.force_authenticate(investor)
    response = api_client.patch(detail(rule), {"max_rate": "0.05"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "auto_invest_rule_invalid"
    assert AutoInvestRule.objects.get(pk=rule.pk).max_rate == D("0.2")


def test_delete_removes_the_rule_and_keeps_its_investments(
    api_client, investor, rule, make_user, onboarding, product
):
    loan = new_loan(make_user, onboarding, product)
    [investment] = auto_invest_run(loan_id=loan.pk)
    api_client.force_authenticate(investor)
    response = api_client.delete(detail(rule))
    assert response.status_code == 204
    assert not AutoInvestRule.objects.filter(pk=rule.pk).exists()
    investment.refresh_from_db()
    assert (investment.source, investment.status) == ("auto", "reserved")
    event = AuditEvent.objects.get(action="lending.auto_invest_rule_deleted")
    assert event.before["grades"] == ["A", "B"]
    assert api_client.delete(detail(rule)).status_code == 404
    # The portfolio still shows it, as auto-invested.
    rows = api_client.get(reverse("api:investment-list")).json()["results"]
    assert [(r["id"], r["source"]) for r in rows] == [(investment.pk, "auto")]


def test_another_investors_rule_is_404_and_untouched(api_client, stranger, rule):
    api_client.force_authenticate(stranger)
    assert api_client.patch(detail(rule), {"is_active": False}, format="json").status_code == 404
    assert api_client.delete(detail(rule)).status_code == 404
    rule.refresh_from_db()
    assert rule.is_active
    assert not AuditEvent.objects.filter(subject_type="auto_invest_rule").exists()


def test_a_paused_or_deleted_rule_invests_in_nothing(
    investor, stranger, rule, make_user, onboarding, product
):
    other = AutoInvestRuleFactory(investor=stranger)
    auto_invest_rule_update(investor=investor, rule_id=rule.pk, is_active=False)
    placed = auto_invest_run(loan_id=new_loan(make_user, onboarding, product).pk)
    assert [i.investor_id for i in placed] == [stranger.pk]
    auto_invest_rule_update(investor=investor, rule_id=rule.pk, is_active=True)
    other.delete()
    placed = auto_invest_run(loan_id=new_loan(make_user, onboarding, product).pk)
    assert [i.investor_id for i in placed] == [investor.pk]


def test_a_rule_paused_after_the_run_read_it_places_nothing(
    investor, rule, make_user, onboarding, product, monkeypatch
):
    """The run reads the queue, then the rule is paused before its turn: the placement
    locks the rule row and reads it again."""
    from lending.services import auto_invest

    loan = new_loan(make_user, onboarding, product)
    queue = auto_invest.auto_invest_queue

    def queue_then_pause():
        rules = queue()
        AutoInvestRule.objects.filter(pk=rule.pk).update(is_active=False)
        return rules

    monkeypatch.setattr(auto_invest, "auto_invest_queue", queue_then_pause)
    assert auto_invest_run(loan_id=loan.pk) == []
    assert not Investment.objects.exists()
    assert available(investor) == D("50000.00")


def test_resuming_needs_a_suitability_profile_pausing_does_not(
    api_client, investor, rule, onboarding
):
    api_client.force_authenticate(investor)
    del onboarding.investors[investor.pk]
    assert api_client.patch(detail(rule), {"is_active": False}, format="json").status_code == 200
    response = api_client.patch(detail(rule), {"is_active": True}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "investor_profile_required"
    rule.refresh_from_db()
    assert not rule.is_active


# --- the page -------------------------------------------------------------------------


def test_page_pauses_resumes_edits_and_deletes_a_rule(client, investor, rule):
    client.force_login(investor)
    page = client.get(reverse("lending:auto-invest-rule-list")).content.decode()
    assert "Active" in page and reverse("lending:auto-invest-rule-pause", args=[rule.pk]) in page

    assert client.post(reverse("lending:auto-invest-rule-pause", args=[rule.pk])).status_code == 302
    rule.refresh_from_db()
    assert not rule.is_active
    page = client.get(reverse("lending:auto-invest-rule-list")).content.decode()
    assert "Paused" in page and reverse("lending:auto-invest-rule-resume", args=[rule.pk]) in page
    client.post(reverse("lending:auto-invest-rule-resume", args=[rule.pk]))
    rule.refresh_from_db()
    assert rule.is_active

    edit_url = reverse("lending:auto-invest-rule-edit", args=[rule.pk])
    form = client.get(edit_url)
    assert form.status_code == 200 and 'value="2000.00"' in form.content.decode()
    body = {
        "grades": ["B", "C"],
        "min_term_months": "3",
        "max_term_months": "24",
        "min_rate": "6",
        "max_rate": "18.5",
        "amount_per_loan": "500.00",
        "keep_cash_amount": "100.00",
        "max_borrower_share": "25",
    }
    assert client.post(edit_url, body).status_code == 302
    rule.refresh_from_db()
    assert (rule.grades, rule.max_rate, rule.max_borrower_share, rule.amount_per_loan) == (
        ["B", "C"],
        D("0.185"),
        D("0.25"),
        D("500.00"),
    )
    bad = client.post(edit_url, {**body, "max_term_months": "2"})
    assert bad.status_code == 400 and b"at least the minimum" in bad.content

    delete_url = reverse("lending:auto-invest-rule-delete", args=[rule.pk])
    confirm = client.get(delete_url)
    assert confirm.status_code == 200 and b"Delete this auto-invest rule?" in confirm.content
    assert AutoInvestRule.objects.filter(pk=rule.pk).exists()  # asking deletes nothing
    assert client.post(delete_url).status_code == 302
    assert not AutoInvestRule.objects.filter(pk=rule.pk).exists()


def test_page_actions_on_another_investors_rule_are_404(client, stranger, rule):
    client.force_login(stranger)
    for name in ("edit", "pause", "resume", "delete"):
        url = reverse(f"lending:auto-invest-rule-{name}", args=[rule.pk])
        assert client.post(url).status_code == 404, name
    assert client.get(reverse("lending:auto-invest-rule-edit", args=[rule.pk])).status_code == 404
    rule.refresh_from_db()
    assert rule.is_active
