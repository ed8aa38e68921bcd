"""Signals lending sends for the apps above it, which lending may not import: sent only after
the transaction that made the change has committed, so a receiver sees committed rows."""

import functools

from django.db import transaction
from django.dispatch import Signal

# Investments were lent out (became active at a loan's disbursement). Keyword arguments:
# `loan_id`, and `investor_ids` (sorted, distinct). promotion settles referral rewards on it.
investments_lent = Signal()


def investments_lent_send_on_commit(*, loan_id: int, investor_ids) -> None:
    """Send `investments_lent` once the current transaction commits. Robustly: the money
    moved already, so a receiver's failure is logged by Django, never raised into the
    disbursement (each receiver has its own sweeper for what it missed)."""
    transaction.on_commit(
        functools.partial(
            investments_lent.send_robust,
            sender=None,
            loan_id=loan_id,
            investor_ids=sorted(set(investor_ids)),
        )
    )
