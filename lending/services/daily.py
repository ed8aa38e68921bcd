"""The daily batch's servicing steps for one business date: collect authorised installments,
mark installments due and overdue, charge late fees and penalty interest under the cost-of-
credit ceiling, remind borrowers, keep delinquency buckets and collection cases, send
distributions still pending and reconcile the ledger.

Each step takes the business date and is idempotent for it: a rerun of the same date finds
its work done (statuses already moved, `penalty_through_on` already at the date, reminders
once per occasion through `Notification.dedupe_key`, one delinquency change per loan and
day). Everything that touches installments and loans runs as set-based SQL over chunks of
loan ids, one transaction per chunk, never a Python loop per installment: the same
statements run on PostgreSQL and SQLite, with the few date and text expressions that differ
between them built by the helpers below. Money is added in integer cents inside the SQL,
so SQLite's floating decimals never accumulate, and penalty interest is rounded half-even
to the cent as lending.servicing.daily_penalty does.
"""

import logging
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, ngettext_lazy

from accounts.language import local_date, sql_text, user_language
from core.enqueue import enqueue_on_commit
from core.errors import DomainError
from custody.models import ReconciliationRun
from custody.services.reconciliation import reconciliation_run
from lending.models import (
    CollectionCase,
    DailyRunStep,
    DelinquencyChange,
    Disbursement,
    Installment,
    Loan,
    Notification,
    Product,
    Repayment,
    RepaymentAuthorisation,
)
from lending.services.distributions import distributions_resend
from lending.services.repayments import authorised_collect

logger = logging.getLogger(__name__)

# Loans per chunk: one transaction and one statement per step and chunk.
CHUNK = getattr(settings, "LENDING_BATCH_CHUNK", 20_000)
# Notifications per email task.
EMAIL_BATCH = 1000
MICRO = 1_000_000  # rates are stored with 6 places

LOAN = Loan._meta.db_table
INSTALLMENT = Installment._meta.db_table
NOTIFICATION = Notification._meta.db_table
CHANGE = DelinquencyChange._meta.db_table
CASE = CollectionCase._meta.db_table
DISBURSEMENT = Disbursement._meta.db_table
USER = get_user_model()._meta.db_table

REPAYING = Loan.Status.REPAYING.value
# Loans the delinquency step follows: a defaulted loan keeps its days past due growing.
FOLLOWED = (Loan.Status.REPAYING.value, Loan.Status.DEFAULTED.value)
OPEN = tuple(s.value for s in Installment.OPEN_STATUSES)
OVERDUE = Installment.Status.OVERDUE.value

# The buckets (DESIGN.md section 4), as upper bounds of days past due.
BUCKETS = (
    (0, "current"),
    (30, "1-30"),
    (60, "31-60"),
    (90, "61-90"),
)
BUCKET_BEYOND = "90+"


# --- SQL that differs between PostgreSQL and SQLite ------------------------------------------


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _date_param() -> str:
    """The business date parameter, `as_of` (SQLite keeps dates as ISO text, which compares
    correctly). Statements here take named parameters, so a literal percent is `%%`."""
    return "CAST(%(as_of)s AS date)" if _pg() else "%(as_of)s"


def _days_between(later: str, earlier: str) -> str:
    """Whole days from `earlier` to `later`, two date expressions."""
    if _pg():
        return f"({later} - {earlier})"
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


def _plus_days(day: str, days: str) -> str:
    """The date expression `day` moved by the integer expression `days`."""
    if _pg():
        return f"({day} + {days})"
    return f"date({day}, ({days}) || ' days')"


def _cents(amount: str) -> str:
    """An amount column as integer cents (exact on both: SQLite stores a float)."""
    return f"CAST(ROUND(({amount}) * 100) AS BIGINT)"


def _micro(rate: str) -> str:
    return f"CAST(ROUND(({rate}) * {MICRO}) AS BIGINT)"


def _amount(cents: str) -> str:
    """Integer cents back to an amount with two places."""
    return f"ROUND(({cents}) / 100.0, 2)"


def _half_even_div(numerator: str, denominator: int) -> str:
    """numerator / denominator for a non-negative integer expression, rounded half-even
    (integer division truncates on both databases)."""
    q = f"(({numerator}) / {denominator})"
    r = f"(({numerator}) - {q} * {denominator})"
    return (
        f"({q} + CASE WHEN 2 * {r} > {denominator} "
        f"OR (2 * {r} = {denominator} AND {q} %% 2 = 1) THEN 1 ELSE 0 END)"
    )


def _least(a: str, b: str) -> str:
    return f"(CASE WHEN ({a}) < ({b}) THEN ({a}) ELSE ({b}) END)"


def _greatest(a: str, b: str) -> str:
    return f"(CASE WHEN ({a}) > ({b}) THEN ({a}) ELSE ({b}) END)"


def _text(expr: str) -> str:
    return f"CAST({expr} AS VARCHAR(40))"


def _money_text(cents: str) -> str:
    """Cents as people read them, like core.money.display without the currency: 12,345.67."""
    if _pg():
        return f"to_char(({cents}) / 100.0, 'FM999,999,999,990.00')"
    return f"(printf('%%,d', ({cents}) / 100) || '.' || printf('%%02d', ({cents}) %% 100))"


def _bucket(days: str) -> str:
    whens = " ".join(f"WHEN {days} <= {upto} THEN '{name}'" for upto, name in BUCKETS)
    return f"(CASE {whens} ELSE '{BUCKET_BEYOND}' END)"


def _in(values) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


# Owed on an installment, in cents: every part charged less what was paid of it.
_OWED_CENTS = " + ".join(
    f"{_cents('i.' + part + '_amount')} - {_cents('i.paid_' + part + '_amount')}"
    for part in ("principal", "interest", "late_fee", "penalty")
)


# --- chunks ----------------------------------------------------------------------------------


def _chunks(statuses) -> list[tuple[int, int]]:
    """Ranges of loan ids covering the loans in `statuses`, CHUNK ids wide."""
    bounds = Loan.objects.filter(status__in=statuses).order_by().values_list("id", flat=True)
    low = bounds.order_by("id").first()
    if low is None:
        return []
    high = bounds.order_by("-id").first()
    return [(start, min(start + CHUNK - 1, high)) for start in range(low, high + 1, CHUNK)]


def _hash_joins() -> None:
    """Plan the chunk's statements with hash joins (PostgreSQL, this transaction only).

    The batch's own updates make the planner's statistics stale within the run: after
    10,000 installments turn overdue, it still estimates one, and nests a loop that
    re-aggregates a whole chunk for each of them (30 seconds a statement at 100,000 loans).
    Over a chunk of thousands of loans a hash join is the right plan anyway."""
    if _pg():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_nestloop = off")


def _lock_loans(low: int, high: int, statuses) -> None:
    """Lock a chunk's loans in id order before their installments: the servicing lock order
    (loan, then installments, then accounts), so a repayment never deadlocks the batch.
    SQLite has one writer at a time and no row locks."""
    if not _pg():
        return
    _hash_joins()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {LOAN} WHERE id BETWEEN %(low)s AND %(high)s "  # noqa: S608
            f"AND status IN {_in(statuses)} ORDER BY id FOR UPDATE",
            {"low": low, "high": high},
        )


def _execute(sql: str, params) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


# --- 1. authorised collection ---------------------------------------------------------------


def _authorised(as_of: date):
    """Repaying loans under an active authorisation that owe something due by `as_of`."""
    return Loan.objects.filter(
        status=Loan.Status.REPAYING,
        pk__in=RepaymentAuthorisation.objects.filter(revoked_at__isnull=True).values("loan_id"),
        installments__status__in=Installment.OPEN_STATUSES,
        installments__due_on__lte=as_of,
    )


def authorised_collect_due(as_of: date) -> dict:
    """Collect what is due from every repaying loan whose borrower authorised it
    (repayments.authorised_collect, one durable transaction per loan). A loan that cannot be
    collected (the wallet does not cover what is due, or the ledger refuses) does not stop the
    others: its borrower is told, once per installment missed, and the installment goes on to
    be due and, after the grace days, overdue; the next day's batch tries again."""
    loan_ids = list(_authorised(as_of).order_by("id").distinct().values_list("id", flat=True))
    collected = short = failed = 0
    for loan_id in loan_ids:
        try:
            repayment = authorised_collect(loan_id=loan_id, as_of=as_of)
        except DomainError as exc:  # e.g. custody's InsufficientFunds: the wallet moved
            logger.info("authorised collection of loan %s refused: %s", loan_id, exc)
            repayment = None
        except Exception:  # one broken loan must not stop the book's collection
            logger.exception("authorised collection of loan %s failed", loan_id)
            failed += 1
            continue
        if repayment is not None:
            collected += 1
        elif (missed := _missed_installment(loan_id, as_of)) is not None:
            short += 1
            _notify_short(loan_id, missed)
    return {"loans": len(loan_ids), "collected": collected, "short": short, "failed": failed}


def _missed_installment(loan_id: int, as_of: date) -> Installment | None:
    """The oldest installment due by `as_of` that the loan's authorisation did not pay."""
    if Repayment.objects.filter(
        loan_id=loan_id, idempotency_key=f"authorised:{as_of.isoformat()}"
    ).exists():
        return None
    if not _authorised(as_of).filter(pk=loan_id).exists():
        return None
    return (
        Installment.objects.filter(
            loan_id=loan_id, status__in=Installment.OPEN_STATUSES, due_on__lte=as_of
        )
        .order_by("due_on", "number")
        .first()
    )


@transaction.atomic
def _notify_short(loan_id: int, installment: Installment) -> None:
    """Tell the borrower, once per installment, that the authorised payment was not taken."""
    loan = (
        Loan.objects.select_related("borrower")
        .only("reference", "borrower__language")
        .get(pk=loan_id)
    )
    with user_language(loan.borrower):
        title = gettext("We could not take your payment for loan %(loan)s") % {
            "loan": loan.reference
        }
        body = gettext(
            "Your wallet did not cover installment %(number)s, due on %(due_on)s, so nothing "
            "was taken. Add money to your wallet: we try again each day, or pay from the "
            "loan's page. Late fees and penalty interest apply once the grace days have passed."
        ) % {"number": installment.number, "due_on": local_date(installment.due_on)}
    notification, created = Notification.objects.get_or_create(
        user_id=loan.borrower_id,
        dedupe_key=f"collect_short:{installment.pk}",
        defaults={
            "kind": "repayment_not_collected",
            "title": title,
            "body": body,
            "subject_type": "loan",
            "subject_id": str(loan_id),
        },
    )
    if created:
        enqueue_on_commit("lending.notification_emails", [notification.pk])


# --- 2. due and overdue ----------------------------------------------------------------------


def installments_mark_due(as_of: date) -> dict:
    """Scheduled installments of repaying loans falling due by `as_of` become due."""
    marked = 0
    for low, high in _chunks([REPAYING]):
        with transaction.atomic():
            _lock_loans(low, high, [REPAYING])
            marked += _execute(
                f"UPDATE {INSTALLMENT} SET status = 'due' "  # noqa: S608
                f"WHERE status = 'scheduled' AND due_on <= {_date_param()} "
                "AND loan_id BETWEEN %(low)s AND %(high)s "
                f"AND loan_id IN (SELECT id FROM {LOAN} WHERE status = '{REPAYING}' "
                "AND id BETWEEN %(low)s AND %(high)s)",
                {"as_of": as_of, "low": low, "high": high},
            )
    return {"marked_due": marked}


def installments_mark_overdue(as_of: date) -> dict:
    """Unpaid installments of repaying loans become overdue once the loan's grace days
    after their due date have passed (due on the 15th with 3 grace days: overdue on the
    19th)."""
    marked = 0
    grace_end = _plus_days(f"{INSTALLMENT}.due_on", "l.grace_days")
    for low, high in _chunks([REPAYING]):
        with transaction.atomic():
            _lock_loans(low, high, [REPAYING])
            marked += _execute(
                f"UPDATE {INSTALLMENT} SET status = '{OVERDUE}' "  # noqa: S608
                "WHERE status IN ('scheduled', 'due') AND loan_id BETWEEN %(low)s AND %(high)s "
                f"AND due_on < {_date_param()} "
                f"AND EXISTS (SELECT 1 FROM {LOAN} l WHERE l.id = {INSTALLMENT}.loan_id "
                f"AND l.status = '{REPAYING}' AND {grace_end} < {_date_param()})",
                {"as_of": as_of, "low": low, "high": high},
            )
    return {"marked_overdue": marked}


# --- 3. late fees and penalty interest ------------------------------------------------------


def _late_charges_sql() -> str:
    """One statement charging a chunk's overdue installments.

    Per installment: the fixed late fee, once (on its first late-charge run, while
    `penalty_through_on` is empty), and penalty interest for each day after the grace days
    not accrued yet: quantize(overdue principal x daily rate) half-even, times the days.
    Per loan, the charges are capped under the cost-of-credit ceiling (lending.servicing.
    cost_ceiling and late_charge_allowed). The ceiling is an annual rate over the borrowing
    period: its rate on the loan amount for the days from disbursement to the maturity date,
    or to the business date once that is later, rounded down. The cost is everything the
    loan charges: the service fee, all the interest of its schedule, and the late fees and
    penalty charged so far. (Counting the agreed interest of the whole term against the
    ceiling of the whole term keeps an installment's interest, when it falls due, from
    pushing earlier late charges over a ceiling counted only to that day.) The room left
    goes to the oldest installment first, its late fee before its penalty. Days past the
    ceiling are not charged later: `penalty_through_on` moves to the date.
    """
    d = _date_param()
    accrued_from = f"COALESCE(i.penalty_through_on, {_plus_days('i.due_on', 'l.grace_days')})"
    days = _days_between(d, accrued_from)
    overdue_principal = f"({_cents('i.principal_amount')} - {_cents('i.paid_principal_amount')})"
    daily = _half_even_div(f"{overdue_principal} * {_micro('l.penalty_daily_rate')}", MICRO)
    through = _greatest(d, "MAX(i.due_on)")
    ceiling = (
        f"({_cents('l.amount')} * %(ceiling_micro)s * {_days_between(through, 'l.disbursed_on')})"
        f" / {365 * MICRO}"
    )
    charged = (
        f"COALESCE(SUM({_cents('i.interest_amount')} + {_cents('i.late_fee_amount')} "
        f"+ {_cents('i.penalty_amount')}), 0)"
    )
    room = "(c.ceiling - c.charged - (c.upto - c.fee_wanted - c.penalty_wanted))"
    room = _greatest(room, "0")
    fee = _least("c.fee_wanted", room)
    return f"""
    WITH cand AS (
        SELECT i.id, i.loan_id, i.due_on, i.number,
            CASE WHEN i.penalty_through_on IS NULL THEN {_cents("l.late_fee_amount")}
                ELSE 0 END AS fee_wanted,
            {days} * {daily} AS penalty_wanted
        FROM {INSTALLMENT} i JOIN {LOAN} l ON l.id = i.loan_id
        WHERE i.status = '{OVERDUE}' AND l.status = '{REPAYING}'
            AND i.loan_id BETWEEN %(low)s AND %(high)s
            AND (i.penalty_through_on IS NULL OR i.penalty_through_on < {d})
    ),
    cost AS (
        SELECT l.id AS loan_id, {ceiling} AS ceiling,
            {charged} + COALESCE(MAX({_cents("db.fee_amount")}), 0) AS charged
        FROM {LOAN} l
        JOIN {INSTALLMENT} i ON i.loan_id = l.id AND i.loan_id BETWEEN %(low)s AND %(high)s
        LEFT JOIN {DISBURSEMENT} db ON db.loan_id = l.id
        WHERE l.id IN (SELECT loan_id FROM cand)
        GROUP BY l.id, l.amount, l.disbursed_on
    ),
    running AS (
        SELECT cand.id, cand.fee_wanted, cand.penalty_wanted, cost.ceiling, cost.charged,
            SUM(cand.fee_wanted + cand.penalty_wanted) OVER (
                PARTITION BY cand.loan_id ORDER BY cand.due_on, cand.number
                ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
            ) AS upto
        FROM cand JOIN cost ON cost.loan_id = cand.loan_id
    ),
    allowed AS (
        SELECT c.id, {fee} AS fee, {_least("c.penalty_wanted", f"{room} - {fee}")} AS penalty
        FROM running c
    )
    UPDATE {INSTALLMENT} SET
        late_fee_amount = {_amount(f"{_cents(INSTALLMENT + '.late_fee_amount')} + allowed.fee")},
        penalty_amount = {_amount(f"{_cents(INSTALLMENT + '.penalty_amount')} + allowed.penalty")},
        penalty_through_on = {d}
    FROM allowed WHERE {INSTALLMENT}.id = allowed.id
    """  # noqa: S608


def late_charges_accrue(as_of: date) -> dict:
    """Charge late fees and penalty interest on overdue installments through `as_of`
    (see _late_charges_sql); a rerun finds every installment accrued through the date."""
    sql = _late_charges_sql()
    ceiling_micro = int(Decimal(str(settings.LENDING_COST_CEILING_RATE)) * MICRO)
    charged = 0
    for low, high in _chunks([REPAYING]):
        with transaction.atomic():
            _lock_loans(low, high, [REPAYING])
            charged += _execute(
                sql,
                {"as_of": as_of, "low": low, "high": high, "ceiling_micro": ceiling_micro},
            )
    return {"installments_charged": charged}


# --- 4. reminders ----------------------------------------------------------------------------


def _reminder_title(offset: int):
    """The reminder's title for a reminder day (days relative to the due date)."""
    if offset < 0:
        return ngettext_lazy(
            "Your payment of %(amount)s for loan %(loan)s is due in %(days)s day",
            "Your payment of %(amount)s for loan %(loan)s is due in %(days)s days",
            "days",
        )
    if offset == 0:
        return gettext_lazy("Your payment of %(amount)s for loan %(loan)s is due today")
    return ngettext_lazy(
        "Your payment of %(amount)s for loan %(loan)s is %(days)s day overdue",
        "Your payment of %(amount)s for loan %(loan)s is %(days)s days overdue",
        "days",
    )


REMINDER_BODY = gettext_lazy(
    "Installment %(number)s of loan %(loan)s falls due on %(due_on)s. Pay it from your "
    "wallet on the loan's page, or keep enough in your wallet if you authorised automatic "
    "payment. Late fees and penalty interest apply after the grace days."
)


def reminders_send(as_of: date) -> dict:
    """Remind borrowers of each open installment on the product's reminder days (days
    relative to the due date: [-3, 0, 1, 7] is 3 days before, on the day, 1 and 7 days
    after), in the app and by email, each in the borrower's language (accounts.language:
    the texts are rendered per language here and chosen per row in the SQL). Each reminder
    is inserted once per installment and offset (`reminder:<installment>:<offset>`), so a
    rerun sends nothing new; an installment paid by then is not reminded."""
    by_offset: dict[int, list[int]] = {}
    for product_id, days in Product.objects.values_list("id", "reminder_days"):
        for offset in days or []:
            if isinstance(offset, int):
                by_offset.setdefault(offset, []).append(product_id)
    per_row = {
        "amount": f"{_money_text(f'SUM({_OWED_CENTS})')} || ' ' || l.currency",
        "loan": "l.reference",
        "number": _text("i.number"),
    }
    sent = []
    now = timezone.now()
    for offset, products in sorted(by_offset.items()):
        due_on = as_of - timedelta(days=offset)
        title, title_params = sql_text(
            _reminder_title(offset),
            name="title",
            language="u.language",
            fields={name: per_row[name] for name in ("amount", "loan")},
            days=abs(offset),
        )
        body, body_params = sql_text(
            REMINDER_BODY,
            name="body",
            language="u.language",
            fields={name: per_row[name] for name in ("number", "loan")},
            due_on=local_date(due_on),
        )
        due_param = _date_param().replace("as_of", "due_on")
        placeholders = ", ".join(f"%(product_{n})s" for n in range(len(products)))
        for low, high in _chunks([REPAYING]):
            with transaction.atomic():
                _hash_joins()
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"""
                        INSERT INTO {NOTIFICATION} (user_id, kind, title, body, subject_type,
                            subject_id, created_at, dedupe_key)
                        SELECT l.borrower_id, 'repayment_reminder', {title}, {body},
                            'loan', {_text("l.id")}, %(now)s,
                            'reminder:' || {_text("i.id")} || ':{offset}'
                        FROM {INSTALLMENT} i JOIN {LOAN} l ON l.id = i.loan_id
                            JOIN {USER} u ON u.id = l.borrower_id
                        WHERE i.due_on = {due_param} AND i.status IN {_in(OPEN)}
                            AND l.status = '{REPAYING}' AND l.product_id IN ({placeholders})
                            AND l.id BETWEEN %(low)s AND %(high)s
                        GROUP BY i.id, i.number, i.due_on, l.id, l.borrower_id, l.currency,
                            l.reference, u.language
                        ON CONFLICT DO NOTHING
                        RETURNING id
                        """,  # noqa: S608
                        {
                            "now": now,
                            "due_on": due_on,
                            "low": low,
                            "high": high,
                            **title_params,
                            **body_params,
                            **{f"product_{n}": p for n, p in enumerate(products)},
                        },
                    )
                    ids = [row[0] for row in cursor.fetchall()]
                for start in range(0, len(ids), EMAIL_BATCH):
                    enqueue_on_commit(
                        "lending.notification_emails", ids[start : start + EMAIL_BATCH]
                    )
                sent += ids
    return {"reminders": len(sent)}


# --- 5. delinquency buckets and collection cases --------------------------------------------


def delinquency_update(as_of: date) -> dict:
    """Each followed loan's days past due (of its oldest overdue installment) and bucket on
    `as_of`, a DelinquencyChange row when the bucket changes, and its collection case: opened
    when the loan leaves the current bucket, refreshed (bucket, amount overdue) while open,
    closed when the loan is current again, repaid or written off.

    Buckets move forward in time only: a date earlier than the last one this step ran for is
    not replayed (it would move buckets back)."""
    later = DailyRunStep.objects.filter(step="delinquency_update", run_on__gt=as_of).exists()
    if later:
        return {"skipped": "a later date was run"}
    d = _date_param()
    dpd = f"COALESCE(MAX({_days_between(d, 'i.due_on')}), 0)"
    overdue = f"COALESCE(SUM({_OWED_CENTS}), 0)"
    stats = (
        f"SELECT l.id AS loan_id, {dpd} AS dpd, {overdue} AS overdue_cents "  # noqa: S608
        f"FROM {LOAN} l LEFT JOIN {INSTALLMENT} i ON i.loan_id = l.id "
        "AND i.loan_id BETWEEN %(low)s AND %(high)s "
        f"AND i.status = '{OVERDUE}' "
        f"WHERE l.status IN {_in(FOLLOWED)} AND l.id BETWEEN %(low)s AND %(high)s GROUP BY l.id"
    )
    changed = moved = opened = refreshed = 0
    for low, high in _chunks(FOLLOWED):
        params = {"as_of": as_of, "low": low, "high": high}
        with transaction.atomic():
            _lock_loans(low, high, FOLLOWED)
            changed += _execute(
                f"""
                INSERT INTO {CHANGE} (loan_id, changed_on, from_bucket, to_bucket, days_past_due)
                SELECT l.id, {d}, l.delinquency_bucket, {_bucket("s.dpd")}, s.dpd
                FROM {LOAN} l JOIN ({stats}) s ON s.loan_id = l.id
                WHERE l.delinquency_bucket <> {_bucket("s.dpd")}
                ON CONFLICT DO NOTHING
                """,  # noqa: S608
                params,
            )
            moved += _execute(
                f"""
                UPDATE {LOAN} SET days_past_due = s.dpd, delinquency_bucket = {_bucket("s.dpd")}
                FROM ({stats}) s
                WHERE {LOAN}.id = s.loan_id AND ({LOAN}.days_past_due <> s.dpd
                    OR {LOAN}.delinquency_bucket <> {_bucket("s.dpd")})
                """,  # noqa: S608
                params,
            )
            opened += _execute(
                f"""
                INSERT INTO {CASE} (loan_id, status, opened_on, close_reason, bucket,
                    overdue_amount, created_at)
                SELECT l.id, 'open', {d}, '', l.delinquency_bucket, {_amount("s.overdue_cents")},
                    %(now)s
                FROM {LOAN} l JOIN ({stats}) s ON s.loan_id = l.id
                WHERE l.delinquency_bucket <> 'current'
                    AND NOT EXISTS (SELECT 1 FROM {CASE} c WHERE c.loan_id = l.id
                        AND c.status <> 'closed')
                """,  # noqa: S608
                {**params, "now": timezone.now()},
            )
            refreshed += _execute(
                f"""
                UPDATE {CASE} SET bucket = l.delinquency_bucket,
                    overdue_amount = {_amount("s.overdue_cents")}
                FROM {LOAN} l JOIN ({stats}) s ON s.loan_id = l.id
                WHERE {CASE}.loan_id = l.id AND {CASE}.status <> 'closed'
                    AND ({CASE}.bucket <> l.delinquency_bucket
                        OR {_cents(CASE + ".overdue_amount")} <> s.overdue_cents)
                """,  # noqa: S608
                params,
            )
    closed = _cases_close(as_of)
    return {
        "bucket_changes": changed,
        "loans_updated": moved,
        "cases_opened": opened,
        "cases_refreshed": refreshed,
        "cases_closed": closed,
    }


@transaction.atomic
def _cases_close(as_of: date) -> int:
    """Close the open cases of loans back in the current bucket, repaid or written off."""
    _hash_joins()
    return _execute(
        f"""
        UPDATE {CASE} SET status = 'closed', closed_on = {_date_param()},
            close_reason = (SELECT CASE l.status WHEN 'closed' THEN 'Repaid'
                WHEN 'written_off' THEN 'Written off' ELSE 'Back to current' END
                FROM {LOAN} l WHERE l.id = {CASE}.loan_id)
        WHERE status <> 'closed' AND loan_id IN (
            SELECT id FROM {LOAN} WHERE status IN ('closed', 'written_off')
                OR (status IN {_in(FOLLOWED)} AND delinquency_bucket = 'current'))
        """,  # noqa: S608
        {"as_of": as_of},
    )


# --- 6. distributions and reconciliation -----------------------------------------------------


def distributions_pending(as_of: date) -> dict:
    """Send again every distribution still pending, whatever its age: the day's repayments
    are paid out before the ledger is reconciled."""
    return {"resent": distributions_resend(older_than=timedelta(0))}


def ledger_reconcile(as_of: date) -> dict:
    """Reconcile the ledger for `as_of` (custody's proof and the custodian's statement);
    once per date: a rerun returns the day's last run (ops may run it again by hand with
    `reconcile_ledger`)."""
    run = ReconciliationRun.objects.filter(statement_on=as_of).order_by("-id").first()
    if run is None:
        run = reconciliation_run(statement_on=as_of)
    return {
        "run": run.pk,
        "accounts_checked": run.accounts_checked,
        "balance_mismatches": run.balance_mismatches,
        "breaks_found": run.breaks_found,
    }
