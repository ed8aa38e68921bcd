"""The lending capability end to end, through the real pages in headless Chromium.

A borrower applies above the maker-checker threshold; the risk review runs as a Celery task
in a real worker and sends the case to a reviewer, who approves it in the admin; the
borrower accepts the final offer and the loan opens; an investor's auto-invest rule (saved on the auto-invest page) invests first; two
investors fund the rest by hand through the marketplace; operations start the disbursement
in the admin and a second staff member with the approver role approves it; the borrower
sees the money in the wallet and the schedule under My loans.

Onboarding is real (identity check, borrower profile, suitability) and so is the money
(custody deposits), because the worker and the live server read the committed database.
Screenshots of the key steps go to /tmp/journey (JOURNEY_SHOTS_DIR).
"""

import datetime
import os
import re
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.contrib.auth.models import Group

from accounts import services as onboarding
from accounts.adapters.identity import sandbox_bank_card, sandbox_national_id, sandbox_phone
from core.audit import AuditEvent, audit_chain_verify
from core.policies import RISK_KEYS
from custody.models import LedgerAccount
from custody.selectors import wallet_balance
from custody.services.movements import deposit_request, deposit_settle
from lending import errors
from lending.adapters.credit_bureau import SandboxCreditBureau
from lending.models import (
    Application,
    AutoInvestRule,
    Disbursement,
    Installment,
    Investment,
    Loan,
    Notification,
)
from lending.services.disbursements import disbursement_approve
from tests.accounts.auth_support import totp_code, totp_secret_of
from tests.ledger import assert_ledger_holds
from tests.worker import worker_running

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

SHOTS = os.environ.get("JOURNEY_SHOTS_DIR", "/tmp/journey")
AMOUNT = D("60000.00")  # above the auto-approve limit and the maker-checker threshold
FEE = D("1200.00")  # the product's 2% service fee
AUTO_TICKET = D("20000.00")
MANUAL_TICKETS = (D("25000.00"), D("15000.00"))
DEPOSIT = D("50000.00")
WAIT = 30  # seconds for a worker task


def _shot(page, name: str) -> None:
    page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


# --- real onboarding -------------------------------------------------------------------


def _verify(user, *, national_id: str, n: int):
    onboarding.identity_submit(
        user=user,
        legal_name="王小明",
        national_id=national_id,
        phone=sandbox_phone(66_000_000 + n),
        bank_card=sandbox_bank_card(660_000 + n),
    )
    return type(user).objects.get(pk=user.pk)


def _clean_grade_a_national_id() -> str:
    """A sandbox resident ID whose bureau report is grade A with nothing else to flag, so
    the only reason the case needs a reviewer is its amount."""
    bureau = SandboxCreditBureau()
    for n in range(1000):
        national_id = sandbox_national_id(birth=datetime.date(1986, 5, 20), sequence=n)
        report = bureau.report(national_id=national_id)
        if (
            report.score >= 750
            and not report.overdue_records_6m
            and report.other_platform_count == 0
        ):
            return national_id
    raise AssertionError("no clean grade-A sandbox identity")


def _borrower(make_user):
    user = _verify(make_user("borrower"), national_id=_clean_grade_a_national_id(), n=1)
    onboarding.borrower_profile_submit(
        user=user,
        employment_status="employed",
        employer="ACME Tooling",
        monthly_income_amount=D("40000"),
        monthly_obligations_amount=D("3000"),
        other_platform_outstanding_amount=D("0"),
        purposes=["equipment"],
    )
    return type(user).objects.get(pk=user.pk)


def _investor(make_user, n: int):
    """A sophisticated investor (every grade; per-loan limit 300,000) with money deposited."""
    national_id = sandbox_national_id(birth=datetime.date(1975, 1, 10 + n), sequence=n)
    user = _verify(make_user("investor"), national_id=national_id, n=10 + n)
    profile = onboarding.investor_profile_submit(
        user=user,
        answers=onboarding.SuitabilityInput(
            risk_tolerance="very_high",
            investment_experience="extensive",
            risks_acknowledged=frozenset(RISK_KEYS),
            annual_income_amount=D("600000"),
            net_investible_assets_amount=D("3000000"),
            investor_type="sophisticated",
        ),
    )
    assert profile.max_loan_grade == "E" and profile.per_loan_limit_amount >= AMOUNT
    deposit = deposit_request(user=user, amount=DEPOSIT, request_key=f"journey-{n}")
    deposit_settle(deposit_id=deposit.pk, succeeded=True, amount=DEPOSIT, custodian_ref=f"J{n}")
    assert wallet_balance(user_id=user.pk).available == DEPOSIT
    return type(user).objects.get(pk=user.pk)


def _books_balance() -> None:
    """Custody's proof holds and the audit chain is unbroken."""
    assert_ledger_holds()
    assert audit_chain_verify() == (True, None)


# --- browser helpers -------------------------------------------------------------------


def _as_customer(page_login, page, user):
    page.context.clear_cookies()
    return page_login(user)


def _as_staff(page, live_server, user):
    """Sign a staff member in through the login page and the TOTP step."""
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", user.test_password)
    with page.expect_navigation():
        page.click("form.auth-form button[type=submit]")
    assert page.url.endswith("/accounts/2fa/authenticate/"), page.url
    page.fill("input[name=code]", totp_code(totp_secret_of(user)))
    with page.expect_navigation():
        page.click("form.auth-form button[type=submit]")
    assert "/accounts/" not in page.url, page.url


def _admin_action(page, *, pk: int, action: str, reason: str | None = None) -> str:
    """Select one row of the admin changelist, run `action`, return the messages shown."""
    page.check(f"input[name=_selected_action][value='{pk}']")
    page.select_option("select[name=action]", action)
    if reason is not None:
        page.fill("input[name=reason]", reason)
    with page.expect_navigation():
        page.click("button[name=index]")
    return page.inner_text("ul.messagelist")


def _invest_by_hand(page, live_server, loan: Loan, amount: D) -> None:
    page.goto(f"{live_server.url}/marketplace/")
    with page.expect_navigation():
        page.click(f"a:has-text('{loan.reference}')")
    main = page.inner_text("main")
    assert "Risk warning" in main and "not covered by deposit insurance" in main
    assert "Borrower disclosure" in main and "Overdue records (6 months)" in main
    page.fill("input[name=amount]", str(amount))
    with page.expect_navigation():
        page.click("text=Review investment")
    assert "Confirm your investment" in page.inner_text("main")
    with page.expect_navigation():
        page.click(f"button:has-text('Invest {amount:,.2f}')")
    assert page.url.endswith("/invest/portfolio/")
    assert f"You invested {amount:,.2f} CNY in {loan.reference}" in page.inner_text("main")


# --- the journey -----------------------------------------------------------------------


def test_borrower_to_disbursed_loan_through_the_pages(
    page, page_login, live_server, make_user, product
):
    os.makedirs(SHOTS, exist_ok=True)
    assert settings.LENDING_AUTO_APPROVE_MAX_AMOUNT < AMOUNT
    assert settings.LENDING_DISBURSEMENT_CHECKER_THRESHOLD < AMOUNT
    assert (AMOUNT * product.service_fee_rate).quantize(D("0.01")) == FEE
    borrower = _borrower(make_user)
    auto_investor, first, second = (_investor(make_user, n) for n in (1, 2, 3))
    reviewer = make_user("reviewer")
    operations = make_user("operations")
    approver = make_user("approver")

    with worker_running("lending.application_review", "lending.loan_auto_invest") as done:
        # The auto-invest rule, saved on its page before any loan opens.
        _as_customer(page_login, page, auto_investor)
        page.goto(f"{live_server.url}/invest/auto/")
        for grade in "ABCDE":
            page.check(f"input[name=grades][value={grade}]")
        page.fill("input[name=amount_per_loan]", str(AUTO_TICKET))
        page.fill("input[name=max_borrower_share]", "50")
        with page.expect_navigation():
            page.click("button:has-text('Save rule')")
        assert "Auto-invest rule saved" in page.inner_text("main")
        assert "20,000.00" in page.inner_text("main")
        _shot(page, "01_auto_invest_rule")
        rule = AutoInvestRule.objects.get(investor=auto_investor)
        assert rule.amount_per_loan == AUTO_TICKET and rule.max_borrower_share == D("0.5")

        # 1. The borrower applies, watching the live schedule preview.
        _as_customer(page_login, page, borrower)
        page.goto(f"{live_server.url}/borrow/apply/")
        page.select_option("select[name=product]", str(product.pk))
        page.fill("input[name=amount]", str(AMOUNT))
        page.select_option("select[name=term_months]", "12")
        page.select_option("select[name=method]", "equal_installment")
        page.select_option("select[name=purpose]", "equipment")
        page.fill("input[name=purpose_detail]", "A second CNC lathe for the workshop")
        page.wait_for_selector("#schedule-preview:has-text('58,800.00')")  # you receive
        preview = page.inner_text("#schedule-preview")
        assert "60,000.00" in preview and "1,200.00" in preview  # principal; fee
        _shot(page, "02_apply_preview")
        with page.expect_navigation():
            page.click("button:has-text('Submit application')")
        assert page.url.endswith("/borrow/applications/")
        application = Application.objects.get(borrower=borrower)
        assert application.amount == AMOUNT and application.purpose == "equipment"

        # 2. The worker reviews it: grade A, but the amount needs a reviewer.
        assert done["lending.application_review"].wait(WAIT), "the worker did not review"
        application.refresh_from_db()
        assert application.status == Application.Status.UNDER_REVIEW
        assert application.grade == "A" and application.fraud_flags == []
        assert application.decision_reasons == ["amount_above_auto_approve_limit"]
        page.reload()
        assert "Under review" in page.inner_text("main")
        _shot(page, "03_application_under_review")

        _as_staff(page, live_server, reviewer)
        page.goto(f"{live_server.url}/admin/lending/application/?queue=waiting")
        assert "60,000.00 CNY" in page.inner_text("#result_list")
        page.goto(f"{live_server.url}/admin/lending/application/{application.pk}/change/")
        assert "Overdue records, last 6 months" in page.inner_text("#content")  # bureau report
        _shot(page, "04_admin_review_case")
        page.goto(f"{live_server.url}/admin/lending/application/?queue=waiting")
        shown = _admin_action(
            page, pk=application.pk, action="approve", reason="Income and purpose checked"
        )
        assert f"{application.pk}: approved." in shown
        _shot(page, "05_admin_review_approved")

        # 3. The borrower sees the final offer and accepts it: only then is the loan listed,
        # and the auto-invest task runs the rule before manual investors come.
        application.refresh_from_db()
        assert application.status == Application.Status.APPROVED
        assert application.offer_status == Application.OfferStatus.OPEN
        assert not Loan.objects.filter(application=application).exists()
        _as_customer(page_login, page, borrower)
        page.goto(f"{live_server.url}/borrow/applications/")
        page.click("text=See the offer")
        page.wait_for_selector("h1:has-text('Your loan offer')")
        offer = page.inner_text("main")
        assert "58,800.00" in offer and "APR" in offer  # what the borrower receives
        _shot(page, "05b_offer")
        page.check("input[name=confirm]")
        page.click("button[data-action=accept]")
        page.wait_for_selector("text=Offer accepted")
        assert done["lending.loan_auto_invest"].wait(WAIT), "the worker did not auto-invest"
        application.refresh_from_db()
        assert application.offer_status == Application.OfferStatus.ACCEPTED
        assert application.reviewed_by_id == reviewer.pk
        loan = Loan.objects.get(application=application)
        assert loan.status == Loan.Status.OPEN and loan.auto_invest_done_at is not None
        assert (loan.amount, loan.grade, loan.annual_rate) == (AMOUNT, "A", D("0.0800"))
        auto = Investment.objects.get(loan=loan)
        assert (auto.investor_id, auto.amount, auto.source) == (
            auto_investor.pk,
            AUTO_TICKET,
            Investment.Source.AUTO,
        )
        assert loan.funded_amount == AUTO_TICKET

        _as_customer(page_login, page, borrower)
        page.goto(f"{live_server.url}/borrow/applications/")
        main = page.inner_text("main")
        assert "Approved" in main and f"Loan {loan.reference}" in main
        _shot(page, "06_application_approved")

    # 4. Two investors fund the rest by hand: marketplace -> detail -> confirm.
    for investor, amount in zip((first, second), MANUAL_TICKETS, strict=True):
        _as_customer(page_login, page, investor)
        if investor is first:
            page.goto(f"{live_server.url}/marketplace/")
            assert loan.reference in page.inner_text("main")
            _shot(page, "07_marketplace")
        _invest_by_hand(page, live_server, loan, amount)
        if investor is first:
            page.goto(f"{live_server.url}/marketplace/{loan.pk}/")
            assert "15,000.00" in page.inner_text("main")  # left to fund
            _shot(page, "08_loan_detail_after_first_investor")
    loan.refresh_from_db()
    assert loan.status == Loan.Status.FUNDED and loan.funded_amount == AMOUNT
    held = dict(
        Investment.objects.filter(loan=loan, status=Investment.Status.RESERVED).values_list(
            "investor_id", "amount"
        )
    )
    assert held == {
        auto_investor.pk: AUTO_TICKET,
        first.pk: D("25000.00"),
        second.pk: D("15000.00"),
    }
    for investor, amount in (
        (auto_investor, AUTO_TICKET),
        *zip((first, second), MANUAL_TICKETS, strict=True),
    ):
        balance = wallet_balance(user_id=investor.pk)
        assert (balance.available, balance.reserved) == (DEPOSIT - amount, amount)
    _books_balance()
    page.goto(f"{live_server.url}/marketplace/{loan.pk}/")
    assert "not open for investment" in page.inner_text("main")

    # 5. Operations start the disbursement; it waits for a checker.
    _as_staff(page, live_server, operations)
    page.goto(f"{live_server.url}/admin/lending/loan/?disbursement=to_start")
    assert loan.reference in page.inner_text("#result_list")
    offered = page.locator("select[name=action] option").all_inner_texts()
    assert "Start disbursement (maker)" in offered
    assert "Approve disbursement (checker)" not in offered  # operations only make
    shown = _admin_action(page, pk=loan.pk, action="start_disbursement")
    # The maker is told a second approval is needed, and why (the amount and the threshold).
    assert f"{loan.reference}: disbursement started, waiting for a second approval" in shown
    assert "maker-checker threshold" in shown
    disbursement = Disbursement.objects.get(loan=loan)
    assert disbursement.status == Disbursement.Status.PENDING_APPROVAL
    assert (disbursement.gross_amount, disbursement.fee_amount, disbursement.net_amount) == (
        AMOUNT,
        FEE,
        AMOUNT - FEE,
    )

    # The maker can never be the checker, even holding the approver role as well.
    with pytest.raises(errors.RoleRequired):
        disbursement_approve(loan_id=loan.pk, checker=operations)
    operations.groups.add(Group.objects.get(name="approver"))
    with pytest.raises(errors.SameApprover):
        disbursement_approve(
            loan_id=loan.pk, checker=type(operations).objects.get(pk=operations.pk)
        )
    operations.groups.remove(Group.objects.get(name="approver"))
    assert Disbursement.objects.get(loan=loan).status == Disbursement.Status.PENDING_APPROVAL

    _as_staff(page, live_server, approver)
    page.goto(f"{live_server.url}/admin/lending/loan/?disbursement=to_approve")
    assert "waiting for a second approval" in page.inner_text("#result_list")
    _shot(page, "09_admin_disbursement_to_approve")
    shown = _admin_action(page, pk=loan.pk, action="approve_disbursement")
    assert f"{loan.reference}: approved by {approver} (second approval)" in shown
    _shot(page, "10_admin_disbursement_approved")
    disbursement.refresh_from_db()
    loan.refresh_from_db()
    assert disbursement.status == Disbursement.Status.SETTLED
    assert (disbursement.requested_by_id, disbursement.approved_by_id) == (
        operations.pk,
        approver.pk,
    )
    assert loan.status == Loan.Status.REPAYING

    # 6. The borrower sees the money and the schedule.
    net = AMOUNT - FEE
    assert wallet_balance(user_id=borrower.pk).available == net == D("58800.00")
    _as_customer(page_login, page, borrower)
    page.goto(f"{live_server.url}/wallet/")
    assert "58,800.00" in page.inner_text(".balance-available")
    _shot(page, "11_borrower_wallet")
    page.goto(f"{live_server.url}/borrow/loans/")
    assert "Repaying" in page.inner_text("main")
    with page.expect_navigation():
        page.click("a:has-text('Schedule')")
    rows = page.locator("table tbody tr")
    assert rows.count() == 12
    total_principal = page.inner_text("table tfoot th.num >> nth=0")
    assert total_principal == "60,000.00"
    shown_principal = sum(
        D(rows.nth(i).locator("td.num").nth(0).inner_text().replace(",", "")) for i in range(12)
    )
    assert shown_principal == AMOUNT
    _shot(page, "12_borrower_schedule")
    installments = list(Installment.objects.filter(loan=loan).order_by("number"))
    assert [i.number for i in installments] == list(range(1, 13))
    assert sum(i.principal_amount for i in installments) == AMOUNT
    assert all(i.principal_amount > 0 and i.interest_amount >= 0 for i in installments)

    # Investors: their reservations became active loans; the rest of their deposit is free.
    for investor, amount in (
        (auto_investor, AUTO_TICKET),
        *zip((first, second), MANUAL_TICKETS, strict=True),
    ):
        balance = wallet_balance(user_id=investor.pk)
        assert (balance.available, balance.reserved) == (DEPOSIT - amount, D("0.00"))
    assert set(Investment.objects.filter(loan=loan).values_list("status", flat=True)) == {
        Investment.Status.ACTIVE
    }
    fees = LedgerAccount.objects.get(owner__isnull=True, kind=LedgerAccount.Kind.FEE_INCOME)
    assert fees.balance_amount == FEE

    # The borrower was told at each turn.
    told = list(
        Notification.objects.filter(user=borrower).order_by("id").values_list("kind", flat=True)
    )
    assert told == [
        "application_under_review",
        "offer_made",
        "offer_accepted",
        "loan_funded",
        "loan_disbursed",
    ], told

    # The books balance and the audit chain is unbroken, with every step recorded.
    _books_balance()
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    expected = [
        "lending.auto_invest_rule_created",
        "lending.application_submitted",
        "lending.application_reviewed",
        "lending.application_approved",
        "lending.loan_listed",
        "lending.offer_accepted",
        "lending.disbursement_started",
        "lending.loan_disbursed",
    ]
    positions = [actions.index(action) for action in expected]
    assert positions == sorted(positions), actions
    assert re.fullmatch(r"LN\d{6}[0-9A-F]{6}", loan.reference)
