"""Distribution: a repayment, waiting in the clearing account, is paid out to the loan's
investors (DESIGN.md's distribution rule, lending.servicing.split_repayment).

Investors are paid in chunks of LENDING_DISTRIBUTION_CHUNK, each one durable transaction:
its payouts inserted set-based (one statement), the principal received added to each
investment set-based, one ledger entry (clearing -> each investor's available, the fees ->
fee income), and one notification insert. A chunk is done when its ledger entry exists, so
a distribution that died halfway (a killed worker) resumes where it stopped; the
repayment's row lock makes two distributions of the same repayment run one after the other,
and the unique (repayment, investment) constraint is the database's last word: nobody is
paid twice.
"""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core import money
from core.enqueue import enqueue_on_commit
from custody import services as custody
from custody.models import JournalEntry, LedgerAccount
from lending import servicing
from lending.models import Investment, Loan, Notification, Payout, Repayment, RepaymentLine


def _chunk_key(repayment_id: int, index: int) -> str:
    return f"lending.distribution:{repayment_id}:{index}"


def repayment_shares(repayment: Repayment, loan: Loan) -> list[tuple[servicing.Share, int]]:
    """Each active investment's share of the repayment, with its investor, by investment id.

    The weight is the investment's outstanding principal (its amount less the principal it
    has received), which is its amount scaled by the loan's repaid fraction up to a cent of
    rounding. Weighting by outstanding rather than by the original amount lets those cents
    come back instead of drifting: the last principal repaid equals the outstanding
    principals' sum, so each investment receives exactly what it lent, never a cent more.
    (Once no principal is outstanding, a late charge is split by the original amounts.)
    """
    holdings = list(
        Investment.objects.filter(loan_id=loan.pk, status=Investment.Status.ACTIVE)
        .order_by("id")
        .values_list("id", "investor_id", "amount", "principal_received_amount")
    )
    investor_of = {i: investor for i, investor, _, _ in holdings}
    weights = [(i, amount - received) for i, _, amount, received in holdings]
    if not any(w for _, w in weights):
        weights = [(i, amount) for i, _, amount, _ in holdings]
    shares = servicing.split_repayment(
        principal=repayment.principal_amount,
        interest=repayment.interest_amount,
        penalty=repayment.penalty_amount,
        holdings=weights,
        fee_rate=loan.platform_fee_rate,
    )
    return [(share, investor_of[share.investment_id]) for share in shares]


def repayment_distribute(*, repayment_id: int) -> int:
    """Pay a repayment out to the loan's investors; return how many payouts this call made
    (0 when it was distributed already). Safe to run again, and at the same time."""
    repayment = Repayment.objects.select_related("loan").filter(pk=repayment_id).first()
    if repayment is None or repayment.distribution == Repayment.Distribution.DISTRIBUTED:
        return 0
    loan = repayment.loan
    shares = repayment_shares(repayment, loan)
    size = settings.LENDING_DISTRIBUTION_CHUNK
    chunks = [shares[i : i + size] for i in range(0, len(shares), size)] or [[]]
    installments = list(
        RepaymentLine.objects.filter(repayment=repayment)
        .order_by("installment__number")
        .values_list("installment__number", flat=True)
    )
    made = 0
    for index, chunk in enumerate(chunks):
        made += _distribute_chunk(repayment.pk, loan, index, chunk, installments)
    _mark_distributed(repayment.pk)
    return made


def _memo(loan: Loan, installments: list[int]) -> str:
    if not installments:
        return f"Repayment from {loan.reference}"
    numbers = ", ".join(str(n) for n in installments[:6]) + ("..." if len(installments) > 6 else "")
    word = "installment" if len(installments) == 1 else "installments"
    return f"Repayment from {loan.reference} ({word} {numbers})"


@transaction.atomic(durable=True)
def _distribute_chunk(
    repayment_id: int,
    loan: Loan,
    index: int,
    chunk: list[tuple[servicing.Share, int]],
    installments: list[int],
) -> int:
    """One chunk of payouts and its ledger entry, or nothing if it was paid already. The
    first chunk also carries the platform's part: the fixed late fees and the prepayment
    fee, which go to fee income whole."""
    repayment = Repayment.objects.select_for_update().get(pk=repayment_id)
    key = _chunk_key(repayment_id, index)
    if JournalEntry.objects.filter(idempotency_key=key).exists():
        return 0
    payouts = [(share, investor) for share, investor in chunk if share.net or share.fee]
    platform = (
        repayment.late_fee_amount + repayment.prepayment_fee_amount if index == 0 else Decimal(0)
    )
    fees = sum((share.fee for share, _ in payouts), Decimal(0)) + platform
    total = sum((share.net for share, _ in payouts), Decimal(0)) + fees
    if not total:
        return 0
    accounts = custody.user_account_ids_many({investor for _, investor in payouts})
    legs = [custody.Leg(custody.platform_account_id(LedgerAccount.Kind.REPAYMENT_CLEARING), -total)]
    legs += [
        custody.Leg(accounts[investor][0], share.net) for share, investor in payouts if share.net
    ]
    if fees:
        legs.append(custody.Leg(custody.platform_account_id(LedgerAccount.Kind.FEE_INCOME), fees))
    memo = _memo(loan, installments)
    custody.ledger_post(idempotency_key=key, kind="payout", memo=memo, legs=legs)
    _insert_payouts(repayment, payouts)
    _add_principal_received(payouts)
    _notify(loan, repayment, payouts)
    return len(payouts)


def _insert_payouts(repayment: Repayment, payouts) -> None:
    """All of a chunk's payouts in one statement (PostgreSQL: one INSERT from arrays)."""
    if not payouts:
        return
    now = timezone.now()
    if connection.vendor != "postgresql":
        Payout.objects.bulk_create(
            [
                Payout(
                    repayment=repayment,
                    investment_id=share.investment_id,
                    investor_id=investor,
                    principal_amount=share.principal,
                    interest_amount=share.interest,
                    penalty_amount=share.penalty,
                    fee_amount=share.fee,
                    net_amount=share.net,
                    paid_on=repayment.paid_on,
                )
                for share, investor in payouts
            ],
            batch_size=500,
        )
        return
    columns = defaultdict(list)
    for share, investor in payouts:
        columns["investment"].append(share.investment_id)
        columns["investor"].append(investor)
        columns["principal"].append(share.principal)
        columns["interest"].append(share.interest)
        columns["penalty"].append(share.penalty)
        columns["fee"].append(share.fee)
        columns["net"].append(share.net)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Payout._meta.db_table} (repayment_id, investment_id, investor_id, "  # noqa: S608
            "principal_amount, interest_amount, penalty_amount, fee_amount, net_amount, "
            "paid_on, created_at) "
            "SELECT %s, t.investment, t.investor, t.principal, t.interest, t.penalty, t.fee, "
            "t.net, %s, %s FROM unnest(%s::bigint[], %s::bigint[], %s::numeric[], "
            "%s::numeric[], %s::numeric[], %s::numeric[], %s::numeric[]) "
            "AS t(investment, investor, principal, interest, penalty, fee, net)",
            [
                repayment.pk,
                repayment.paid_on,
                now,
                *(
                    _array(columns[name])
                    for name in ("investment", "investor", "principal", "interest", "penalty")
                ),
                _array(columns["fee"]),
                _array(columns["net"]),
            ],
        )


def _array(numbers) -> str:
    return "{" + ",".join(str(n) for n in numbers) + "}"


def _add_principal_received(payouts) -> None:
    """Add each payout's principal to its investment, set-based."""
    paid = [(share.investment_id, share.principal) for share, _ in payouts if share.principal]
    if not paid:
        return
    table = Investment._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} AS i SET principal_received_amount = "  # noqa: S608
                "i.principal_received_amount + d.amount "
                "FROM unnest(%s::bigint[], %s::numeric[]) AS d(id, amount) WHERE i.id = d.id",
                [_array(i for i, _ in paid), _array(a for _, a in paid)],
            )
            return
    # SQLite keeps decimals as floats: write exact sums computed here instead of adding.
    current = dict(
        Investment.objects.filter(pk__in=[i for i, _ in paid]).values_list(
            "id", "principal_received_amount"
        )
    )
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET principal_received_amount = %s WHERE id = %s",  # noqa: S608
            [(str(money.quantize(current[i] + amount)), i) for i, amount in paid],
        )


def _notify(loan: Loan, repayment: Repayment, payouts) -> None:
    """One in-app notification per payout, in one insert. Not emailed: a loan may have
    thousands of investors, each paid every month; the wallet and the portfolio show them."""
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=investor,
                kind="payout_received",
                title=(
                    f"{money.display(share.net, loan.currency)} received from loan {loan.reference}"
                ),
                body=(
                    f"Principal {share.principal}, interest {share.interest}, penalty interest "
                    f"{share.penalty}, platform fee {share.fee}."
                ),
                subject_type="loan",
                subject_id=str(loan.pk),
            )
            for share, investor in payouts
            if share.net
        ],
        batch_size=1000,
    )


def _mark_distributed(repayment_id: int) -> None:
    Repayment.objects.filter(pk=repayment_id, distribution=Repayment.Distribution.PENDING).update(
        distribution=Repayment.Distribution.DISTRIBUTED, distributed_at=timezone.now()
    )


def distributions_resend(*, older_than: timedelta | None = None) -> int:
    """Send again the distribution of every repayment pending longer than the threshold
    (its message was lost with a worker or a broker): the sweeper, on beat and in the
    daily batch. Returns how many were sent."""
    older_than = older_than or timedelta(minutes=settings.LENDING_DISTRIBUTION_STUCK_MINUTES)
    stuck = list(
        Repayment.objects.filter(
            distribution=Repayment.Distribution.PENDING,
            created_at__lt=timezone.now() - older_than,
        )
        .order_by("id")
        .values_list("id", flat=True)
    )
    for repayment_id in stuck:
        enqueue_on_commit("lending.repayment_distribute", repayment_id)
    return len(stuck)
