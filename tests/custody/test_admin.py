"""The ops admin: the ledger is read-only even for superusers; breaks and adjustments work."""

from decimal import Decimal

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from custody.models import AdjustmentRequest, JournalEntry, LedgerAccount, Posting
from custody.services import user_account_ids
from tests.ledger import fund

pytestmark = pytest.mark.django_db


def test_ledger_admin_is_read_only_for_superusers(django_user_model):
    superuser = django_user_model.objects.create_superuser(
        email="root@example.test", password="x" * 12
    )
    request = RequestFactory().get("/")
    request.user = superuser
    for model in (LedgerAccount, JournalEntry, Posting):
        model_admin = site._registry[model]
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
        assert model_admin.has_view_permission(request)


def test_adjustment_admin_proposes_and_a_second_approver_approves(client, make_user, user):
    fund(user, "1.00")
    maker, checker = make_user("approver"), make_user("approver")
    for staff in (maker, checker):
        staff.is_staff = True
        staff.save()
    available, _ = user_account_ids(user.id)
    client.force_login(maker)
    response = client.post(
        "/admin/custody/adjustmentrequest/add/",
        {"account": available, "amount": "2.50", "reason": "Goodwill"},
    )
    assert response.status_code == 302, response.content[:2000]
    proposal = AdjustmentRequest.objects.get()
    client.post(
        "/admin/custody/adjustmentrequest/",
        {"action": "approve", "_selected_action": [proposal.pk]},
    )
    assert AdjustmentRequest.objects.get().status == "proposed"  # the maker may not approve
    client.force_login(checker)
    client.post(
        "/admin/custody/adjustmentrequest/",
        {"action": "approve", "_selected_action": [proposal.pk]},
    )
    assert AdjustmentRequest.objects.get().status == "approved"
    assert LedgerAccount.objects.get(pk=available).balance_amount == Decimal("3.50")


def test_breaks_queue_resolves_a_break_with_a_note(client, make_user, user):
    from datetime import date

    from custody.models import ReconciliationBreak
    from custody.services.reconciliation import reconciliation_run
    from tests.custody.test_reconciliation import _settled

    _settled(user, 1, on=date(2026, 11, 20))
    reconciliation_run(statement_on=date(2026, 11, 20), lines=[])
    item = ReconciliationBreak.objects.get()
    ops = make_user("compliance")
    client.force_login(ops)
    assert client.get("/admin/custody/reconciliationbreak/").status_code == 200
    url = f"/admin/custody/reconciliationbreak/{item.pk}/change/"
    assert client.post(url, {"resolution_note": ""}).status_code == 200  # refused: note needed
    assert client.post(url, {"resolution_note": "Booked by the bank next day."}).status_code == 302
    item.refresh_from_db()
    assert (item.status, item.resolved_by_id) == ("resolved", ops.id)


@pytest.fixture
def maker(client, make_user):
    staff = make_user("approver")
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    return staff


@pytest.mark.parametrize(
    "amount",
    [
        "1e5",
        "1E2",
        "\u0661\u0662",
        "\uff15",
        "0",
        "-0.00",
        "0.001",
        "--5",
        "+-5",
        "NaN",
        "9" * 29,
        "-" + "9" * 32,
        "abc",
        "",
    ],
)
def test_adjustment_form_refuses_bad_amounts(client, maker, user, amount):
    client.raise_request_exception = False
    fund(user, "10.00")
    available, _ = user_account_ids(user.id)
    response = client.post(
        "/admin/custody/adjustmentrequest/add/",
        {"account": available, "amount": amount, "reason": "x"},
    )
    assert response.status_code == 200  # the form again, with the error
    assert response.context["adminform"].form.errors["amount"]
    assert not AdjustmentRequest.objects.exists()


@pytest.mark.parametrize(
    ("amount", "expected"), [("-2.50", "-2.50"), ("7", "7.00"), ("+1.5", "1.50")]
)
def test_adjustment_form_takes_signed_plain_amounts(client, maker, user, amount, expected):
    available, _ = user_account_ids(user.id)
    response = client.post(
        "/admin/custody/adjustmentrequest/add/",
        {"account": available, "amount": amount, "reason": "x"},
    )
    assert response.status_code == 302
    assert AdjustmentRequest.objects.get().amount == Decimal(expected)


def test_adjustment_form_does_not_offer_the_suspense_account(client, maker):
    from custody.services import platform_account_id

    suspense = platform_account_id(LedgerAccount.Kind.ADJUSTMENT)
    custodian = platform_account_id(LedgerAccount.Kind.CUSTODIAN)
    form = client.get("/admin/custody/adjustmentrequest/add/").context["adminform"].form
    offered = set(form.fields["account"].queryset.values_list("id", flat=True))
    assert custodian in offered and suspense not in offered
    response = client.post(
        "/admin/custody/adjustmentrequest/add/",
        {"account": suspense, "amount": "5.00", "reason": "x"},
    )
    assert response.status_code == 200 and "account" in response.context["adminform"].form.errors
    assert not AdjustmentRequest.objects.exists()


def test_adjustment_changelist_queries_do_not_grow_with_rows(client, make_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from custody.services.adjustments import adjustment_approve, adjustment_propose

    maker, checker = make_user("approver"), make_user("approver")
    for staff in (maker, checker):
        staff.is_staff = True
        staff.save()
    for _ in range(6):
        owner = make_user("investor")
        fund(owner, "10.00")
        proposal = adjustment_propose(
            actor=maker,
            account_id=user_account_ids(owner.id)[0],
            amount=Decimal("1.00"),
            reason="r",
        )
        adjustment_approve(actor=checker, proposal_id=proposal.pk)
    client.force_login(checker)
    ids = list(AdjustmentRequest.objects.order_by("id").values_list("id", flat=True))
    counts = []
    for n in (2, 6):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/admin/custody/adjustmentrequest/?id__lte={ids[n - 1]}")
        assert response.status_code == 200
        assert len(response.context["cl"].result_list) == n
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
