"""Money maths, the double-entry ledger, custodian adapters, deposits, withdrawals and
reconciliation."""
