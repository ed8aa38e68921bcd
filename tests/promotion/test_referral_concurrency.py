"""Referral rewards under concurrency, on real PostgreSQL with real threads: two settlements
of one referral at once (two first investments lent together) pay once; two referrals racing
for the referrer's last reward or the month's last budget pay one of them."""

from decimal import Decimal

import pytest
from django.test import override_settings

from custody.models import JournalEntry
from promotion.models import Referral
from promotion.services.referrals import referral_settle
from tests.concurrency import race
from tests.ledger import assert_ledger_holds, available
from tests.promotion.referrals import budget_balance, invested, referee_of, referrer_and_code

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
REWARD = Decimal("50.00")


def _settle(referral_id: int):
    return lambda: referral_settle(referral_id=referral_id).status


def test_two_first_investments_lent_at_once_pay_the_reward_once():
    referrer, code = referrer_and_code()
    referee, referral = referee_of(code)
    invested(referee, "1000.00")
    invested(referee, "2500.00")

    outcomes = race(_settle(referral.pk), _settle(referral.pk), _settle(referral.pk))

    assert outcomes.results() == ["rewarded"] * 3
    assert JournalEntry.objects.filter(kind="referral_reward").count() == 1
    assert available(referrer) == REWARD
    assert budget_balance() == -REWARD
    assert_ledger_holds()


@override_settings(REFERRAL_CAP_PER_REFERRER=1)
def test_two_referrals_racing_for_the_referrers_last_reward_pay_one():
    referrer, code = referrer_and_code()
    referrals = []
    for _ in range(2):
        referee, referral = referee_of(code)
        invested(referee, "1000.00")
        referrals.append(referral)

    outcomes = race(*(_settle(r.pk) for r in referrals))

    assert sorted(outcomes.results()) == ["refused", "rewarded"]
    refused = Referral.objects.get(status=Referral.Status.REFUSED)
    assert refused.reason == "cap_reached"
    assert available(referrer) == REWARD
    assert_ledger_holds()


@override_settings(REFERRAL_CAP_PER_MONTH=Decimal("50.00"))
def test_two_referrals_racing_for_the_months_last_budget_pay_one_and_hold_the_other():
    referrals = []
    for _ in range(2):
        _referrer, code = referrer_and_code()
        referee, referral = referee_of(code)
        invested(referee, "1000.00")
        referrals.append(referral)

    outcomes = race(*(_settle(r.pk) for r in referrals))

    assert sorted(outcomes.results()) == ["pending", "rewarded"]
    held = Referral.objects.get(status=Referral.Status.PENDING)
    assert held.hold == "monthly_budget"
    assert budget_balance() == -REWARD
    assert_ledger_holds()
