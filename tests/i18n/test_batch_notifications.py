"""Notifications the daily batch and the payouts write in SQL, for thousands of users in one
statement, reach each user in their own language: a Chinese-speaking borrower's reminder and
missed-payment notice, a Chinese-speaking investor's payout, beside English ones written by
the same statement."""

from datetime import timedelta
from decimal import Decimal as D

import pytest

from custody import services as custody
from custody.models import LedgerAccount
from lending.models import Notification
from lending.services import daily
from lending.services.distributions import repayment_distribute
from lending.services.repayments import authorisation_grant, repayment_make
from tests.ledger import available, fund
from tests.lending.servicing import repaying_loan

pytestmark = pytest.mark.django_db


def _speaks(user, language: str):
    user.language = language
    user.save(update_fields=["language"])
    return user


def test_reminders_are_written_in_each_borrowers_language(make_user, onboarding, product):
    chinese = repaying_loan(make_user, onboarding, product)
    english = repaying_loan(make_user, onboarding, product)
    _speaks(chinese.borrower, "zh-hans")
    _speaks(english.borrower, "")  # never chose: the platform's default
    due_on = chinese.installments.get(number=1).due_on
    assert english.installments.get(number=1).due_on == due_on

    for offset in (-3, 0, 7):
        daily.reminders_send(due_on + timedelta(days=offset))

    def reminders(loan):
        return dict(
            Notification.objects.filter(user=loan.borrower, kind="repayment_reminder").values_list(
                "dedupe_key", "title"
            )
        )

    first = chinese.installments.get(number=1)
    owed = f"{first.total_amount:,.2f} CNY"
    assert reminders(chinese) == {
        f"reminder:{first.pk}:-3": f"借款 {chinese.reference} 的 {owed} 还款将在 3 天后到期",
        f"reminder:{first.pk}:0": f"借款 {chinese.reference} 的 {owed} 还款今天到期",
        f"reminder:{first.pk}:7": f"借款 {chinese.reference} 的 {owed} 还款已逾期 7 天",
    }
    other = english.installments.get(number=1)
    assert reminders(english) == {
        f"reminder:{other.pk}:-3": f"Your payment of {owed} for loan {english.reference} "
        "is due in 3 days",
        f"reminder:{other.pk}:0": f"Your payment of {owed} for loan {english.reference} "
        "is due today",
        f"reminder:{other.pk}:7": f"Your payment of {owed} for loan {english.reference} "
        "is 7 days overdue",
    }
    body = Notification.objects.filter(user=chinese.borrower).first().body
    day = f"{due_on.year}年{due_on.month}月{due_on.day}日"
    assert body.startswith(f"借款 {chinese.reference} 的第 1 期还款将于 {day} 到期")
    english_body = Notification.objects.filter(user=english.borrower).first().body
    assert english_body.startswith(f"Installment 1 of loan {english.reference} falls due on ")
    assert "{" not in body + english_body  # every per-row placeholder was filled


def test_a_missed_authorised_payment_is_told_in_the_borrowers_language(
    make_user, onboarding, product
):
    loan = repaying_loan(make_user, onboarding, product)
    _speaks(loan.borrower, "zh-hans")
    authorisation_grant(loan_id=loan.pk, borrower=loan.borrower)
    first = loan.installments.get(number=1)
    # The borrower spends the net amount received first: the wallet cannot cover the payment.
    wallet = available(loan.borrower)
    custody.ledger_post(
        idempotency_key=f"spent-{loan.pk}",
        kind="withdrawal",
        memo="spent",
        legs=[
            custody.Leg(custody.user_account_ids(loan.borrower_id)[0], -wallet),
            custody.Leg(custody.platform_account_id(LedgerAccount.Kind.CUSTODIAN), wallet),
        ],
    )

    assert daily.authorised_collect_due(first.due_on)["short"] == 1

    told = Notification.objects.get(user=loan.borrower, kind="repayment_not_collected")
    assert told.title == f"借款 {loan.reference} 的还款未能扣款成功"
    day = f"{first.due_on.year}年{first.due_on.month}月{first.due_on.day}日"
    assert told.body.startswith(f"您的钱包余额不足以支付 {day} 到期的第 1 期还款")


def test_payouts_are_written_in_each_investors_language(make_user, onboarding, product):
    loan = repaying_loan(make_user, onboarding, product, holdings=("6000.00", "4000.00"))
    chinese, english = (i.investor for i in loan.investments.order_by("id"))
    _speaks(chinese, "zh-hans")
    _speaks(english, "en")
    fund(loan.borrower, "2000.00")
    repayment = repayment_make(
        loan_id=loan.pk, borrower=loan.borrower, idempotency_key="pay-1", amount=D("500.00")
    )
    repayment_distribute(repayment_id=repayment.pk)

    paid = {
        n.user_id: n
        for n in Notification.objects.filter(kind="payout_received", user__in=[chinese, english])
    }
    to_chinese = loan.investments.get(investor=chinese).payouts.get()
    assert paid[chinese.pk].title == (
        f"已收到借款 {loan.reference} 的回款 {to_chinese.net_amount:,.2f} CNY"
    )
    body = paid[chinese.pk].body
    assert body.startswith(f"本金 {to_chinese.principal_amount}")
    assert f"利息 {to_chinese.interest_amount}" in body
    assert body.endswith(f"平台服务费 {to_chinese.fee_amount}。")
    to_english = loan.investments.get(investor=english).payouts.get()
    assert paid[english.pk].title == (
        f"{to_english.net_amount:,.2f} CNY received from loan {loan.reference}"
    )
    assert paid[english.pk].body == (
        f"Principal {to_english.principal_amount}, interest {to_english.interest_amount}, "
        f"penalty interest {to_english.penalty_amount}, platform fee {to_english.fee_amount}."
    )
    assert to_chinese.net_amount + to_english.net_amount > D("0")
