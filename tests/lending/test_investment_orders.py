"""Investment orders and their settlement batches: an order whose request died is not lost,
refusals leave nothing behind, a batch takes orders oldest first in one ledger entry."""

from datetime import timedelta
from decimal import Decimal as D

import pytest

from core.audit import AuditEvent, audit_chain_verify
from custody.models import JournalEntry
from lending.models import Investment, Loan
from lending.services.batch import run_daily
from lending.services.investments import investment_place
from lending.services.settlement import investments_settle_stale
from tests.ledger import assert_ledger_holds, available, fund, reserved
from tests.lending.factories import InvestmentFactory

pytestmark = pytest.mark.django_db


def orphan_order(investor, loan, amount, key, ip="198.51.100.7"):
    """An order as step 1 commits it, from a request that died before settling it."""
    return InvestmentFactory(
        loan=loan, investor=investor, amount=D(amount), idempotency_key=key, ip_address=ip
    )


def test_an_order_whose_request_died_is_settled_by_the_daily_batch(investor, open_loan):
    order = orphan_order(investor, open_loan, "300.00", "died")
    assert reserved(investor) == D("0.00")

    assert investments_settle_stale(older_than=timedelta(0)) == 1

    order.refresh_from_db()
    open_loan.refresh_from_db()
    assert order.status == Investment.Status.RESERVED
    assert open_loan.funded_amount == D("300.00")
    assert (available(investor), reserved(investor)) == (D("49700.00"), D("300.00"))
    event = AuditEvent.objects.get(action="lending.investment_placed", subject_id=str(order.pk))
    assert (event.actor_id, event.ip_address) == (investor.pk, "198.51.100.7")
    assert audit_chain_verify() == (True, None)
    assert_ledger_holds()


def test_the_daily_batch_runs_the_stale_order_step(investor, open_loan):
    orphan_order(investor, open_loan, "300.00", "died")
    result = run_daily(as_of=open_loan.listed_on)
    # The step only takes orders older than five minutes: this one is seconds old.
    assert result["settle_stale_investment_orders"] == 0
    assert Investment.objects.get(idempotency_key="died").status == Investment.Status.PENDING


def test_replaying_the_key_of_a_dead_request_settles_and_returns_its_order(investor, open_loan):
    order = orphan_order(investor, open_loan, "300.00", "died")
    again = investment_place(
        investor=investor, loan_id=open_loan.pk, amount=D("300.00"), idempotency_key="died"
    )
    assert again.pk == order.pk
    assert again.status == Investment.Status.RESERVED
    open_loan.refresh_from_db()
    assert open_loan.funded_amount == D("300.00")


def test_an_order_on_a_loan_that_closed_is_refused_and_then_cleared(investor, open_loan):
    orphan_order(investor, open_loan, "300.00", "died")
    Loan.objects.filter(pk=open_loan.pk).update(status=Loan.Status.CANCELLED)
    entries = JournalEntry.objects.count()

    investments_settle_stale(older_than=timedelta(0))

    assert not Investment.objects.filter(idempotency_key="died").exists()
    assert JournalEntry.objects.count() == entries
    assert (available(investor), reserved(investor)) == (D("50000.00"), D("0.00"))


def test_replaying_a_refused_order_raises_its_refusal_once_and_leaves_nothing(investor, open_loan):
    InvestmentFactory(
        loan=open_loan,
        investor=investor,
        amount=D("300.00"),
        status=Investment.Status.REFUSED,
        refusal_code="exceeds_remaining",
        idempotency_key="refused",
    )
    with pytest.raises(Exception) as exc:
        investment_place(
            investor=investor, loan_id=open_loan.pk, amount=D("300.00"), idempotency_key="refused"
        )
    assert exc.value.code == "exceeds_remaining"
    assert not Investment.objects.filter(idempotency_key="refused").exists()
    # The refusal was the key's answer once; the next retry is decided afresh.
    placed = investment_place(
        investor=investor, loan_id=open_loan.pk, amount=D("300.00"), idempotency_key="refused"
    )
    assert placed.status == Investment.Status.RESERVED
    open_loan.refresh_from_db()
    assert open_loan.funded_amount == reserved(investor) == D("300.00")


def test_a_batch_takes_orders_oldest_first_in_one_entry(make_user, onboarding, open_loan):
    early, poor, late = (onboarding.investor(make_user("investor")) for _ in range(3))
    fund(early, "9000.00")
    fund(poor, "100.00")
    fund(late, "5000.00")
    orphan_order(early, open_loan, "9000.00", "a")
    orphan_order(poor, open_loan, "500.00", "b")  # cannot pay: takes no room
    orphan_order(late, open_loan, "1000.00", "c")  # fits exactly in the 1,000 left
    orphan_order(late, open_loan, "100.00", "d")  # nothing left
    entries = JournalEntry.objects.count()

    investments_settle_stale(older_than=timedelta(0))

    open_loan.refresh_from_db()
    assert open_loan.status == Loan.Status.FUNDED
    assert open_loan.funded_amount == open_loan.amount == D("10000.00")
    assert JournalEntry.objects.count() == entries + 1
    statuses = dict(Investment.objects.values_list("idempotency_key", "status"))
    # Refused orders nobody came back for are cleared with the other stale refusals.
    assert statuses == {"a": "reserved", "c": "reserved"}
    assert (reserved(early), reserved(poor), reserved(late)) == (
        D("9000.00"),
        D("0.00"),
        D("1000.00"),
    )
    assert_ledger_holds()


def test_pending_orders_count_against_the_investors_limits(make_user, onboarding, open_loan):
    investor = fund(onboarding.investor(make_user("investor"), per_loan=D("500")), "5000.00")
    orphan_order(investor, open_loan, "400.00", "in-flight")
    with pytest.raises(Exception) as exc:
        investment_place(
            investor=investor, loan_id=open_loan.pk, amount=D("200.00"), idempotency_key="more"
        )
    assert exc.value.code == "per_loan_limit_exceeded"


@pytest.mark.django_db(transaction=True)
def test_a_refusal_consumed_by_a_twin_request_is_decided_afresh(investor, open_loan, monkeypatch):
    """Across processes: the order is committed pending while another batch settles the
    loan; if a twin request with the same key reads (and deletes) its refusal first, this
    one starts over instead of failing."""
    from lending.services import settlement

    busy = iter([False])  # the first try finds another process settling the loan
    real_lock, real_settled = settlement._batch_lock, settlement._settled

    def lock(loan_id, *, wait):
        return next(busy, True) if not wait else real_lock(loan_id, wait=wait)

    def refused_then_read_by_the_twin(loan_id, investment_ids):
        Investment.objects.filter(pk__in=investment_ids).update(
            status=Investment.Status.REFUSED, refusal_code="exceeds_remaining"
        )
        Investment.objects.filter(pk__in=investment_ids).delete()  # the twin read it
        monkeypatch.setattr(settlement, "_settled", real_settled)
        return real_settled(loan_id, investment_ids)

    monkeypatch.setattr(settlement, "_batch_lock", lock)
    monkeypatch.setattr(settlement, "_await_settlement", lambda *a, **k: None)
    monkeypatch.setattr(settlement, "_settled", refused_then_read_by_the_twin)
    placed = investment_place(
        investor=investor, loan_id=open_loan.pk, amount=D("300.00"), idempotency_key="twin"
    )
    assert placed.status == Investment.Status.RESERVED
    assert Investment.objects.filter(idempotency_key="twin").count() == 1
    open_loan.refresh_from_db()
    assert open_loan.funded_amount == reserved(investor) == D("300.00")
