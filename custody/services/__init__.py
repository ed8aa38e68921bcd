"""Writes of custody, one function per use case; the public names other apps rely on.

Interface for lending (all join the caller's transaction; each posts ONE entry; the same
idempotency key with the same content returns the first entry, with different content
raises IdempotencyKeyReused (422 `idempotency_key_reused`); a short account raises
InsufficientFunds (409 `insufficient_funds`); accounts are locked in ascending id order):

    funds_reserve(*, user_id, amount, idempotency_key, memo="")   available -> reserved
    funds_reserve_batch(*, requests=[(user_id, amount), ...], budget, idempotency_key,
                        memo="") -> [None | why]   as many as fit, in order, ONE entry
    funds_release(*, user_id, amount, idempotency_key, memo="")   reserved -> available
    funds_settle(*, legs=[(payer_user_id, amount), ...], payee_user_id, fee_amount,
                 idempotency_key, memo="")   payers' reserved -> payee's available,
                                             fee_amount -> platform fee_income
    ledger_post(*, idempotency_key, kind, memo, legs=[Leg(account_id, amount), ...])
    user_account_ids(user_id) -> (available_id, reserved_id); user_account_ids_many(ids)
    platform_account_id(kind) -> id   (custodian, fee_income, adjustment, loan_receivable,
                                      repayment_clearing, marketing_budget)

Reads: `custody.selectors.wallet_balance(user_id=...)` -> WalletBalance(available,
reserved, currency). HTTP idempotency for money-moving POSTs: `core.idempotency`.
"""

from custody.services.ledger import (
    Leg,
    ensure_balanced,
    entry_reverse,
    ledger_post,
    platform_account_id,
    user_account_ids,
    user_account_ids_many,
)
from custody.services.reservations import (
    OVER_BUDGET,
    funds_release,
    funds_reserve,
    funds_reserve_batch,
    funds_settle,
)

__all__ = [
    "OVER_BUDGET",
    "Leg",
    "ensure_balanced",
    "entry_reverse",
    "funds_release",
    "funds_reserve",
    "funds_reserve_batch",
    "funds_settle",
    "ledger_post",
    "platform_account_id",
    "user_account_ids",
    "user_account_ids_many",
]
