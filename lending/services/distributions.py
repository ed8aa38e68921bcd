"""Distribution: a repayment, waiting in the clearing account, is paid out to the loan's
investors (DESIGN.md's distribution rule, lending.servicing.split_repayment).

Investors are paid in chunks of LENDING_DISTRIBUTION_CHUNK, each one durable transaction:
its payouts inserted set-based (one statement), the principal received added to each
investment set-based, one ledger entry (clearing -> each investor's available, the fees ->
fee income), and one notification insert. On PostgreSQL the shares themselves are computed
in the database, chunk by chunk (see _shares_sql), so a loan with 50,000 investors needs no
more memory than one with 10,000; elsewhere (SQLite) in Python, by the same rule. A chunk
is done when its ledger entry exists, so
a distribution that died halfway (a killed worker) resumes where it stopped; the
repayment's row lock makes two distributions of the same repayment run one after the other,
and the unique (repayment, investment) constraint is the database's last word: nobody is
paid twice.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts.language import sql_text
from core import money
from core.enqueue import enqueue_on_commit
from custody import services as custody
from custody.models import JournalEntry, LedgerAccount
from lending import servicing
from lending.models import Investment, Loan, Notification, Payout, Repayment, RepaymentLine
from lending.services.notifications import notice, notifications_written


def _chunk_key(repayment_id: int, index: int) -> str:
    return f"lending.distribution:{repayment_id}:{index}"


def repayment_shares(repayment: Repayment, loan: Loan) -> list[tuple[servicing.Share, int]]:
    """Each active investment's share of the repayment, with its investor, by investment id.

    The weight is the investment's principal outstanding before this repayment: its amount
    less the principal it received from the loan's earlier repayments. That is its amount
    scaled by the loan's repaid fraction up to a cent of rounding; weighting by outstanding
    rather than by the original amount lets those cents come back instead of drifting: the
    last principal repaid equals the outstanding principals' sum, so each investment
    receives exactly what it lent, never a cent more. (Once no principal is outstanding, a
    late charge is split by the original amounts.)

    The same shares whenever it runs, also halfway through this repayment's distribution:
    the principal its chunks already paid is added back (`principal_received` includes it),
    and the caller holds the repayment's row lock, which each chunk takes, so no chunk
    commits between the two reads. Every earlier repayment of the loan is distributed
    already and no later one has started (repayment_distribute's order).
    """
    holdings = list(
        Investment.objects.filter(loan_id=loan.pk, status=Investment.Status.ACTIVE)
        .order_by("id")
        .values_list("id", "investor_id", "amount", "principal_received_amount")
    )
    paid_here = dict(
        Payout.objects.filter(repayment_id=repayment.pk)
        .exclude(principal_amount=0)
        .values_list("investment_id", "principal_amount")
    )
    investor_of = {i: investor for i, investor, _, _ in holdings}
    weights = [(i, amount - received + paid_here.get(i, 0)) for i, _, amount, received in holdings]
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
    (0 when it was distributed already). Safe to run again, and at the same time.

    The loan's earlier repayments still pending are distributed first, in id order (the
    order they were made: repayment_make holds the loan's lock until it commits): each
    repayment's weights are what the earlier ones left outstanding, so the shares are the
    same whichever task runs first, and a resumed one is never overtaken."""
    repayment = Repayment.objects.filter(pk=repayment_id).values("loan_id", "distribution").first()
    if repayment is None or repayment["distribution"] == Repayment.Distribution.DISTRIBUTED:
        return 0
    earlier = list(
        Repayment.objects.filter(
            loan_id=repayment["loan_id"],
            pk__lt=repayment_id,
            distribution=Repayment.Distribution.PENDING,
        )
        .order_by("id")
        .values_list("id", flat=True)
    )
    return sum(_distribute(pk) for pk in [*earlier, repayment_id])


def _distribute(repayment_id: int) -> int:
    """Distribute one repayment whose loan's earlier repayments are all distributed."""
    if connection.vendor == "postgresql":
        return _distribute_set_based(repayment_id)
    planned = _plan(repayment_id)
    if planned is None:
        return 0
    repayment, loan, shares, installments = planned
    size = settings.LENDING_DISTRIBUTION_CHUNK
    chunks = [shares[i : i + size] for i in range(0, len(shares), size)] or [[]]
    made = 0
    for index, chunk in enumerate(chunks):
        made += _distribute_chunk(repayment.pk, loan, index, chunk, installments)
    _mark_distributed(repayment.pk)
    return made


@transaction.atomic(durable=True)
def _plan(repayment_id: int):
    """The repayment's shares, read under its row lock (see repayment_shares); None once it
    is distributed."""
    repayment = Repayment.objects.select_for_update().filter(pk=repayment_id).first()
    if repayment is None or repayment.distribution == Repayment.Distribution.DISTRIBUTED:
        return None
    loan = Loan.objects.get(pk=repayment.loan_id)
    shares = repayment_shares(repayment, loan)
    installments = list(
        RepaymentLine.objects.filter(repayment=repayment)
        .order_by("installment__number")
        .values_list("installment__number", flat=True)
    )
    return repayment, loan, shares, installments


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


# --- PostgreSQL: the shares computed in the database, chunk by chunk ----------------------
#
# The same rule as servicing.split_repayment, in integer cents: each component's total C is
# split over the weights w (sum W) as div(C * w, W) each, and the C - sum(div) cents left go
# one each to the largest remainders mod(C * w, W), ties to the lower investment id. The
# plan finds, per component, the remainder and id of the last investment to get a cent;
# each chunk then computes its own rows' shares from that threshold. Python never holds
# more than one chunk's rows, however many investors the loan has, and every row is
# written by set-based statements (one INSERT of payouts, one UPDATE of investments, one
# INSERT of notifications, one ledger entry per chunk).

_COMPONENTS = ("principal", "interest", "penalty")
# Cents x weight products below this are computed in bigint (any loan below about 30
# million); larger ones in exact numeric, slower.
BIGINT_PRODUCTS_BELOW = 2**62


def _holdings_sql(weight: str = "") -> str:
    """Active investments of %(loan)s with their weights in cents: `outstanding` is the
    principal outstanding before %(repayment)s (its own payouts added back), `amount` the
    original amount (see repayment_shares)."""
    return (
        "SELECT i.id, i.investor_id, "  # noqa: S608 - our table names
        "((i.amount - i.principal_received_amount + COALESCE(p.principal_amount, 0)) * 100)"
        "::numeric AS outstanding, (i.amount * 100)::numeric AS amount "
        f"FROM {Investment._meta.db_table} AS i "
        f"LEFT JOIN {Payout._meta.db_table} AS p "
        "ON p.repayment_id = %(repayment)s AND p.investment_id = i.id "
        "WHERE i.loan_id = %(loan)s AND i.status = 'active'"
    )


@dataclass(frozen=True)
class _Split:
    """One component's split: its total in cents, how many cents go to the largest
    remainders, and the (remainder, id) of the last investment that gets one."""

    cents: int
    left: int = 0
    rest: int = 0
    last_id: int = 0


@dataclass(frozen=True)
class _Plan:
    repayment: Repayment
    loan: Loan
    installments: list[int]
    weight: str  # "outstanding" or "amount"
    weight_sum: int
    splits: dict[str, _Split]
    bounds: list[int]  # the first investment id of each chunk


def _cents(amount: Decimal) -> int:
    return int(amount * 100)


@transaction.atomic(durable=True)
def _plan_set_based(repayment_id: int) -> _Plan | None:
    """The split's thresholds and the chunks' bounds, read under the repayment's row lock
    (see repayment_shares: the weights are the same for every chunk); None once it is
    distributed."""
    repayment = Repayment.objects.select_for_update().filter(pk=repayment_id).first()
    if repayment is None or repayment.distribution == Repayment.Distribution.DISTRIBUTED:
        return None
    loan = Loan.objects.get(pk=repayment.loan_id)
    installments = list(
        RepaymentLine.objects.filter(repayment=repayment)
        .order_by("installment__number")
        .values_list("installment__number", flat=True)
    )
    params = {"repayment": repayment.pk, "loan": loan.pk}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE(sum(outstanding), 0), COALESCE(sum(amount), 0) "  # noqa: S608
            f"FROM ({_holdings_sql()}) AS h",
            params,
        )
        outstanding, amount = cursor.fetchone()
        weight, weight_sum = ("outstanding", outstanding) if outstanding else ("amount", amount)
        splits = {}
        for name in _COMPONENTS:
            cents = _cents(getattr(repayment, f"{name}_amount"))
            splits[name] = _split(cursor, params, weight, int(weight_sum), cents)
        cursor.execute(
            "SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) AS n "  # noqa: S608
            f"FROM ({_holdings_sql()}) AS h) AS x WHERE (n - 1) %% %(size)s = 0 ORDER BY id",
            {**params, "size": settings.LENDING_DISTRIBUTION_CHUNK},
        )
        bounds = [row[0] for row in cursor.fetchall()]
    return _Plan(
        repayment=repayment,
        loan=loan,
        installments=installments,
        weight=weight,
        weight_sum=int(weight_sum),
        splits=splits,
        bounds=bounds,
    )


def _split(cursor, params: dict, weight: str, weight_sum: int, cents: int) -> _Split:
    if not cents or not weight_sum:
        return _Split(cents=cents if weight_sum else 0)
    exact = "bigint" if cents * weight_sum < BIGINT_PRODUCTS_BELOW else "numeric"
    product = f"(%(c)s::{exact} * h.{weight}::{exact})"
    whole = f"{product} / %(w)s::{exact}" if exact == "bigint" else f"div({product}, %(w)s)"
    parts = (
        f"WITH s AS MATERIALIZED (SELECT h.id, {whole} AS whole, "  # noqa: S608
        f"mod({product}, %(w)s::{exact}) AS rest FROM ({_holdings_sql()}) AS h) "
    )
    values = {**params, "c": cents, "w": weight_sum}
    cursor.execute(parts + "SELECT %(c)s - sum(whole) FROM s", values)  # noqa: S608
    left = int(cursor.fetchone()[0])
    if not left:
        return _Split(cents=cents)
    cursor.execute(
        parts + "SELECT rest, id FROM s ORDER BY rest DESC, id OFFSET %(k)s LIMIT 1",  # noqa: S608
        {**values, "k": left - 1},
    )
    rest, last_id = cursor.fetchone()
    return _Split(cents=cents, left=left, rest=int(rest), last_id=last_id)


_SHARES_TABLE = "lending_distribution_chunk"
USER = get_user_model()._meta.db_table

# An investor's payout notification (both ways of writing them use these).
PAYOUT_TITLE = gettext_lazy("%(amount)s received from loan %(loan)s")
PAYOUT_BODY = gettext_lazy(
    "Principal %(principal)s, interest %(interest)s, penalty interest %(penalty)s, "
    "platform fee %(fee)s."
)


def _shares_sql(plan: _Plan) -> tuple[str, dict]:
    """A query of the chunk's shares in cents: id, investor_id, p, r, q (principal,
    interest, penalty) and fee; rows with nothing to pay are left out. In bigint when the
    products fit (any loan below about 30 million), else in exact numeric."""
    largest = max(split.cents for split in plan.splits.values())
    exact = "bigint" if largest * plan.weight_sum < BIGINT_PRODUCTS_BELOW else "numeric"
    params: dict = {"w": plan.weight_sum, "rate": plan.loan.platform_fee_rate}
    columns = []
    for name, alias in zip(_COMPONENTS, ("p", "r", "q"), strict=True):
        split = plan.splits[name]
        if not split.cents:
            columns.append(f"0::{exact} AS {alias}")
            continue
        params.update({f"{alias}_c": split.cents, f"{alias}_rest": split.rest})
        params[f"{alias}_id"] = split.last_id
        product = f"(%({alias}_c)s::{exact} * h.w)"
        whole = f"{product} / %(w)s::{exact}" if exact == "bigint" else f"div({product}, %(w)s)"
        rest = f"mod({product}, %(w)s::{exact})"
        extra = (
            f"CASE WHEN {rest} > %({alias}_rest)s::{exact} OR ({rest} = %({alias}_rest)s::{exact} "
            f"AND h.id <= %({alias}_id)s) THEN 1 ELSE 0 END"
            if split.left
            else "0"
        )
        columns.append(f"{whole} + {extra} AS {alias}")
    sql = (
        # The fee: the interest share x the rate, rounded half-even to the cent. OFFSET 0
        # keeps each level from being folded into the next, so nothing is computed twice.
        "SELECT d.id, d.investor_id, d.p, d.r, d.q, (floor(d.x) + CASE "  # noqa: S608
        "WHEN d.x - floor(d.x) > 0.5 THEN 1 WHEN d.x - floor(d.x) < 0.5 THEN 0 "
        "ELSE mod(floor(d.x), 2) END)::bigint AS fee "
        "FROM (SELECT c.*, c.r * %(rate)s::numeric AS x FROM ("
        f"SELECT h.id, h.investor_id, {', '.join(columns)} FROM ("
        f"SELECT h.id, h.investor_id, h.{plan.weight}::{exact} AS w FROM ({_holdings_sql()}) AS h "
        "WHERE h.id >= %(lo)s AND (%(hi)s::bigint IS NULL OR h.id < %(hi)s)) AS h OFFSET 0"
        ") AS c WHERE c.p + c.r + c.q > 0 OFFSET 0) AS d"
    )
    return sql, params


def _distribute_set_based(repayment_id: int) -> int:
    plan = _plan_set_based(repayment_id)
    if plan is None:
        return 0
    bounds = plan.bounds or [0]
    made = 0
    for index, lo in enumerate(bounds):
        hi = bounds[index + 1] if index + 1 < len(bounds) else None
        made += _distribute_chunk_set_based(plan, index, lo, hi)
    _mark_distributed(repayment_id)
    return made


@transaction.atomic(durable=True)
def _distribute_chunk_set_based(plan: _Plan, index: int, lo: int, hi: int | None) -> int:
    """One chunk: its ledger entry (clearing -> each investor's available, fees -> fee
    income), then its payouts, the principal received and the notifications in one
    statement; nothing if it was paid already. Lock order as everywhere: the repayment,
    then the accounts by id (ledger_post), then the investments."""
    repayment = Repayment.objects.select_for_update().get(pk=plan.repayment.pk)
    key = _chunk_key(repayment.pk, index)
    if JournalEntry.objects.filter(idempotency_key=key).exists():
        return 0
    loan = plan.loan
    shares, params = _shares_sql(plan)
    params.update({"repayment": repayment.pk, "loan": loan.pk, "lo": lo, "hi": hi})
    with connection.cursor() as cursor:
        # Computed once, kept for this transaction only (dropped at its end, or rollback).
        cursor.execute(
            f"CREATE TEMPORARY TABLE {_SHARES_TABLE} ON COMMIT DROP AS {shares}",
            params,
        )
        cursor.execute(
            f"SELECT investor_id, p + r + q - fee, fee FROM {_SHARES_TABLE}"  # noqa: S608
        )
        rows = cursor.fetchall()
    made = len(rows)
    platform = (
        repayment.late_fee_amount + repayment.prepayment_fee_amount if index == 0 else Decimal(0)
    )
    fees = sum((fee for _, _, fee in rows), Decimal(0)) / 100 + platform
    nets = sum((net for _, net, _ in rows), Decimal(0)) / 100
    total = money.quantize(nets + fees)
    if not total:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {_SHARES_TABLE}")
        return 0
    accounts = custody.user_account_ids_many({investor for investor, _, _ in rows})
    legs = [custody.Leg(custody.platform_account_id(LedgerAccount.Kind.REPAYMENT_CLEARING), -total)]
    legs += [
        custody.Leg(accounts[investor][0], Decimal(net).scaleb(-2))
        for investor, net, _ in rows
        if net
    ]
    if fees:
        legs.append(
            custody.Leg(
                custody.platform_account_id(LedgerAccount.Kind.FEE_INCOME), money.quantize(fees)
            )
        )
    del rows
    custody.ledger_post(
        idempotency_key=key, kind="payout", memo=_memo(loan, plan.installments), legs=legs
    )
    del legs
    title, title_params = sql_text(
        PAYOUT_TITLE,
        name="title",
        language="u.language",
        fields={"amount": "to_char(ins.net_amount, 'FM999,999,999,999,990.00') || %(currency)s"},
        loan=loan.reference,
    )
    body, body_params = sql_text(
        PAYOUT_BODY,
        name="body",
        language="u.language",
        fields={
            part: f"ins.{part}_amount::text" for part in ("principal", "interest", "penalty", "fee")
        },
    )
    params.update(
        {
            "paid_on": repayment.paid_on,
            "now": timezone.now(),
            "currency": f" {loan.currency}",
            "subject": str(loan.pk),
            **title_params,
            **body_params,
        }
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH s AS (SELECT * FROM {_SHARES_TABLE}), "  # noqa: S608 - our table names
            f"ins AS (INSERT INTO {Payout._meta.db_table} (repayment_id, investment_id, "
            "investor_id, principal_amount, interest_amount, penalty_amount, fee_amount, "
            "net_amount, paid_on, created_at) SELECT %(repayment)s, s.id, s.investor_id, "
            "s.p::numeric / 100, s.r::numeric / 100, s.q::numeric / 100, s.fee::numeric / 100, "
            "(s.p + s.r + s.q - s.fee)::numeric / 100, "
            "%(paid_on)s, %(now)s FROM s ORDER BY s.id RETURNING investment_id, investor_id, "
            "principal_amount, interest_amount, penalty_amount, fee_amount, net_amount), "
            f"upd AS (UPDATE {Investment._meta.db_table} AS i SET principal_received_amount = "
            "i.principal_received_amount + ins.principal_amount FROM ins "
            "WHERE i.id = ins.investment_id AND ins.principal_amount <> 0) "
            f"INSERT INTO {Notification._meta.db_table} (user_id, kind, title, body, "
            "subject_type, subject_id, created_at, dedupe_key, email_wanted) "
            f"SELECT ins.investor_id, 'payout_received', {title}, {body}, "
            "'loan', %(subject)s, %(now)s, '', FALSE "
            f"FROM ins JOIN {USER} u ON u.id = ins.investor_id "
            "WHERE ins.net_amount <> 0 ORDER BY ins.investment_id",
            params,
        )
        # Gone at commit anyway; dropped now for a caller whose transaction goes on (a test's).
        cursor.execute(f"DROP TABLE {_SHARES_TABLE}")
    return made


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
        notifications_written(
            [
                Notification(
                    user_id=investor,
                    kind="payout_received",
                    title=notice(
                        PAYOUT_TITLE,
                        amount=money.display(share.net, loan.currency),
                        loan=loan.reference,
                    ),
                    body=notice(
                        PAYOUT_BODY,
                        principal=share.principal,
                        interest=share.interest,
                        penalty=share.penalty,
                        fee=share.fee,
                    ),
                    subject_type="loan",
                    subject_id=str(loan.pk),
                    email_wanted=False,
                )
                for share, investor in payouts
                if share.net
            ]
        ),
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
    if older_than is None:  # timedelta(0), the batch's "every pending one", is falsy
        older_than = timedelta(minutes=settings.LENDING_DISTRIBUTION_STUCK_MINUTES)
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
