"""Target segments from the platform's own data, computed set-based: a handful of
INSERT ... SELECT statements over the whole user base write every member, whatever its size
(no per-user Python). Runs on PostgreSQL and on the embedded SQLite alike.

Each segment of a date is a SegmentSnapshot (its size and the thresholds used) with its
SegmentMember rows; a date is computed once (unique per segment and date), all segments
in one transaction. Who is counted: active customers (no staff role, not erased).

The investor segments share one pass over the investments (`inv`: last investment, count
and amount per investor, placed investments only, up to the end of the date):

- RFM: each investor scores 1-5 on recency, frequency and amount, by fifths of the
  investors (the score is ceil(5 * share of investors at or below this one), so ties
  share a score). Champions: R, F and M all >= 4. At risk: F >= 3 and R <= 2 (invested
  often, not lately). New: one investment within SEGMENT_NEW_DAYS.
- Dormant: invested before, nothing for SEGMENT_DORMANT_DAYS days.
- Verified, never invested: a verified identity and no placed investment.
- Idle cash: available money of at least SEGMENT_IDLE_CASH_MIN.
- Borrowers near payoff with a clean record: a repaying loan with at most
  SEGMENT_PAYOFF_SHARE of its principal left, and no installment of theirs ever late or
  written off, no loan of theirs defaulted (eligible for a repeat loan).
"""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import Identity, User
from accounts.roles import STAFF_ROLES
from custody.models import LedgerAccount
from lending.models import Installment, Investment, Loan
from promotion.models import Segment, SegmentMember, SegmentSnapshot

# An investment counts once it was placed: reserved, disbursed, or released by a
# cancelled listing (the investor did invest).
PLACED = (Investment.Status.RESERVED, Investment.Status.ACTIVE, Investment.Status.RELEASED)
# An installment or loan that ever went wrong spoils a borrower's record.
LATE_INSTALLMENTS = (
    Installment.Status.OVERDUE,
    Installment.Status.PAID_LATE,
    Installment.Status.WRITTEN_OFF,
)
BAD_LOANS = (Loan.Status.DEFAULTED, Loan.Status.WRITTEN_OFF)


def parameters() -> dict:
    """The thresholds in force (settings), stored on every snapshot."""
    return {
        "idle_cash_min": str(settings.SEGMENT_IDLE_CASH_MIN),
        "dormant_days": settings.SEGMENT_DORMANT_DAYS,
        "new_days": settings.SEGMENT_NEW_DAYS,
        "payoff_share": str(settings.SEGMENT_PAYOFF_SHARE),
    }


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _end_of(day: date):
    """The last instant of `day` in the platform's time zone (to the millisecond SQLite's
    julianday keeps), as the database compares it: aware on PostgreSQL; naive UTC text on
    SQLite (how Django stores datetimes there). Whole days from a time to it are the
    calendar days from that time's date to `day`."""
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
    end -= timedelta(milliseconds=1)
    if connection.vendor == "postgresql":
        return end
    return end.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _days_since(column: str) -> str:
    """Whole days from `column` to the end of the date (the %(end)s parameter)."""
    if connection.vendor == "postgresql":
        return f"CAST(FLOOR(EXTRACT(EPOCH FROM (%(end)s - {column})) / 86400) AS integer)"
    return f"CAST(julianday(%(end)s) - julianday({column}) AS integer)"


def _customers_sql() -> str:
    """Active users without a staff role or staff flags."""
    groups = User.groups.through
    group_table = _table(groups._meta.get_field("group").related_model)
    staff = ", ".join(f"'{role}'" for role in sorted(STAFF_ROLES))
    # Our table names and choice values only; every input is a parameter.
    return f"""
        SELECT u.id FROM {_table(User)} u
        WHERE u.is_active AND NOT u.is_staff AND NOT u.is_superuser
          AND NOT EXISTS (
            SELECT 1 FROM {_table(groups)} ug JOIN {group_table} g ON g.id = ug.group_id
            WHERE ug.user_id = u.id AND g.name IN ({staff}))
    """  # noqa: S608


def _investor_segments_sql() -> str:
    """One statement for the five investor segments: `inv` is computed once."""
    placed = ", ".join(f"'{status}'" for status in PLACED)
    # ceil(5 * (investors at or below) / investors), in integers; ties share the score.
    score = "(5 * COUNT(*) OVER (ORDER BY {0}) + COUNT(*) OVER () - 1) / COUNT(*) OVER ()"
    columns = "snapshot_id, user_id, recency_days, frequency, amount, r_score, f_score, m_score"
    # Our table names and choice values only; every input is a parameter.
    return f"""
        INSERT INTO {_table(SegmentMember)} ({columns})
        WITH customers AS ({_customers_sql()}),
        inv AS (
            SELECT i.investor_id AS user_id, MAX(i.created_at) AS last_at,
                   COUNT(*) AS frequency, SUM(i.amount) AS monetary
            FROM {_table(Investment)} i
            WHERE i.status IN ({placed}) AND i.created_at <= %(end)s
            GROUP BY i.investor_id
        ),
        scored AS (
            SELECT inv.user_id, inv.frequency, inv.monetary,
                   {_days_since("inv.last_at")} AS recency_days,
                   {score.format("inv.last_at")} AS r,
                   {score.format("inv.frequency")} AS f,
                   {score.format("inv.monetary")} AS m
            FROM inv JOIN customers c ON c.id = inv.user_id
        )
        SELECT %(champions)s, user_id, recency_days, frequency, monetary, r, f, m
          FROM scored WHERE r >= 4 AND f >= 4 AND m >= 4
        UNION ALL
        SELECT %(at_risk)s, user_id, recency_days, frequency, monetary, r, f, m
          FROM scored WHERE r <= 2 AND f >= 3
        UNION ALL
        SELECT %(new)s, user_id, recency_days, frequency, monetary, r, f, m
          FROM scored WHERE frequency = 1 AND recency_days < %(new_days)s
        UNION ALL
        SELECT %(dormant)s, user_id, recency_days, frequency, monetary, NULL, NULL, NULL
          FROM scored WHERE recency_days >= %(dormant_days)s
        UNION ALL
        SELECT %(never)s, c.id, NULL, 0, NULL, NULL, NULL, NULL
          FROM customers c JOIN {_table(Identity)} idn ON idn.user_id = c.id
          WHERE NOT EXISTS (SELECT 1 FROM inv WHERE inv.user_id = c.id)
    """  # noqa: S608


def _idle_cash_sql() -> str:
    # Our table names and choice values only; every input is a parameter.
    return f"""
        INSERT INTO {_table(SegmentMember)} (snapshot_id, user_id, amount)
        WITH customers AS ({_customers_sql()})
        SELECT %(idle)s, a.owner_id, a.balance_amount
        FROM {_table(LedgerAccount)} a JOIN customers c ON c.id = a.owner_id
        WHERE a.kind = '{LedgerAccount.Kind.AVAILABLE}' AND a.balance_amount >= %(idle_min)s
    """  # noqa: S608


def _near_payoff_sql() -> str:
    late = ", ".join(f"'{status}'" for status in LATE_INSTALLMENTS)
    bad = ", ".join(f"'{status}'" for status in BAD_LOANS)
    loans, installments = _table(Loan), _table(Installment)
    # Our table names and choice values only; every input is a parameter.
    return f"""
        INSERT INTO {_table(SegmentMember)} (snapshot_id, user_id, amount)
        WITH customers AS ({_customers_sql()}),
        left_to_pay AS (
            SELECT l.borrower_id, l.id AS loan_id, l.amount,
                   SUM(s.principal_amount - s.paid_principal_amount) AS principal_left
            FROM {loans} l JOIN {installments} s ON s.loan_id = l.id
            WHERE l.status = '{Loan.Status.REPAYING}'
            GROUP BY l.borrower_id, l.id, l.amount
        )
        SELECT %(payoff)s, p.borrower_id, MIN(p.principal_left)
        FROM left_to_pay p JOIN customers c ON c.id = p.borrower_id
        WHERE p.principal_left <= p.amount * %(payoff_share)s
          AND NOT EXISTS (
            SELECT 1 FROM {loans} l2 JOIN {installments} s2 ON s2.loan_id = l2.id
            WHERE l2.borrower_id = p.borrower_id AND s2.status IN ({late}))
          AND NOT EXISTS (
            SELECT 1 FROM {loans} l3 WHERE l3.borrower_id = p.borrower_id AND l3.status IN ({bad}))
        GROUP BY p.borrower_id
    """  # noqa: S608


def segments_compute(*, as_of: date) -> dict[str, int]:
    """Compute every segment for `as_of` (idempotent: a date computed already is returned
    as it was) and return each segment's size."""
    done = dict(SegmentSnapshot.objects.filter(computed_on=as_of).values_list("segment", "size"))
    if len(done) == len(Segment.values):
        return done
    try:
        with transaction.atomic():
            return _compute(as_of)
    except IntegrityError:
        # A concurrent run wrote the date first: its snapshots stand.
        return dict(
            SegmentSnapshot.objects.filter(computed_on=as_of).values_list("segment", "size")
        )


def _compute(as_of: date) -> dict[str, int]:
    params = parameters()
    snapshots = {
        segment: SegmentSnapshot.objects.create(
            segment=segment, computed_on=as_of, size=0, parameters=params
        )
        for segment in Segment.values
    }
    ids = {segment: snapshot.pk for segment, snapshot in snapshots.items()}
    values = {
        "end": _end_of(as_of),
        "champions": ids[Segment.RFM_CHAMPIONS],
        "at_risk": ids[Segment.RFM_AT_RISK],
        "new": ids[Segment.RFM_NEW],
        "dormant": ids[Segment.DORMANT],
        "never": ids[Segment.NEVER_INVESTED],
        "idle": ids[Segment.IDLE_CASH],
        "payoff": ids[Segment.NEAR_PAYOFF],
        "new_days": settings.SEGMENT_NEW_DAYS,
        "dormant_days": settings.SEGMENT_DORMANT_DAYS,
        "idle_min": Decimal(settings.SEGMENT_IDLE_CASH_MIN),
        "payoff_share": Decimal(settings.SEGMENT_PAYOFF_SHARE),
    }
    with connection.cursor() as cursor:
        for sql in (_investor_segments_sql(), _idle_cash_sql(), _near_payoff_sql()):
            cursor.execute(sql, values)
        snapshot_table, member_table = _table(SegmentSnapshot), _table(SegmentMember)
        cursor.execute(
            f"UPDATE {snapshot_table} SET size = (SELECT COUNT(*) FROM {member_table} m "  # noqa: S608
            f"WHERE m.snapshot_id = {snapshot_table}.id) WHERE computed_on = %s",
            [as_of],
        )
    return dict(SegmentSnapshot.objects.filter(computed_on=as_of).values_list("segment", "size"))
