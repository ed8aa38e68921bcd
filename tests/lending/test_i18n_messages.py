"""The apps' own texts in Simplified Chinese: errors, form labels, model choices and
notifications. English stays the default; a notification is written in its recipient's
language, never in the language of whoever's request sends it."""

import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy

from accounts.forms import IdentityForm
from accounts.roles import Role
from core import errors, money
from custody.selectors import movement_description
from lending.errors import BelowMinimum
from lending.models import Loan, Notification
from lending.services.notifications import notice, notification_send, notification_send_many

pytestmark = pytest.mark.django_db

ZH = "zh-hans"


def test_domain_error_messages_follow_the_active_language():
    assert str(errors.NotFound().message) == "Not found."
    with translation.override(ZH):
        assert str(errors.NotFound().message) == "未找到。"
        assert str(BelowMinimum().message) == "金额低于最低出借金额。"


def test_amount_refusals_are_rendered_in_the_language_active_when_raised():
    with translation.override(ZH), pytest.raises(money.AmountError) as refused:
        money.parse_amount("1.234")
    assert str(refused.value) == "最多保留 2 位小数。"
    assert refused.value.code == "amount_too_precise"  # the machine code stays English
    with pytest.raises(money.AmountError) as refused:
        money.parse_amount("1.234")
    assert str(refused.value) == "Use at most 2 decimal places."


def test_form_labels_and_model_choices_are_translated():
    with translation.override(ZH):
        form = IdentityForm()
        assert str(form.fields["legal_name"].label) == "姓名"
        assert str(Role.INVESTOR.label) == "出借人"
        assert str(Loan.Status.REPAYING.label) == "还款中"
    assert str(Role.INVESTOR.label) == "Investor"


def test_wallet_movement_wording_is_translated_with_its_reference():
    with translation.override(ZH):
        assert movement_description("reserve", "Investing in LN2026000001", -1) == (
            "冻结用于出借 LN2026000001"
        )
    assert movement_description("reserve", "Investing in LN2026000001", -1) == (
        "Reserved for LN2026000001"
    )


def test_a_notification_is_written_in_the_platform_language_whatever_the_sender_speaks(
    make_user,
):
    """A user with no stored language is written to in the platform's default (English),
    even when a Chinese-speaking person's request sends it."""
    borrower = make_user("borrower")
    with translation.override(ZH):
        sent = notification_send(
            user=borrower,
            kind="loan_funded",
            title=notice(gettext_lazy("Loan %(loan)s is fully funded"), loan="LN2026000001"),
            body=notice(gettext_lazy("Your reservation will be lent when the loan is disbursed.")),
        )
    stored = Notification.objects.get(pk=sent.pk)
    assert stored.title == "Loan LN2026000001 is fully funded"
    assert stored.body == "Your reservation will be lent when the loan is disbursed."


def test_plain_notification_texts_are_stored_as_given(make_user):
    investors = [make_user("investor"), make_user("investor")]
    sent = notification_send_many(users=investors, kind="test", title="Plain", body="Text")
    assert [(n.title, n.body) for n in sent] == [("Plain", "Text"), ("Plain", "Text")]
