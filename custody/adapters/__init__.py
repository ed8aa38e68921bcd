"""Custodian bank adapters: the interface every custodian implements, and the registry."""

from custody.adapters.base import CustodianAdapter, CustodianUnavailable, StatementLine
from custody.adapters.sandbox import SandboxCustodian


def custodian_adapter(name: str) -> CustodianAdapter:
    """The adapter registered under `name` (LookupError for an unknown custodian)."""
    adapters = {SandboxCustodian.name: SandboxCustodian}
    try:
        return adapters[name]()
    except KeyError:
        raise LookupError(name) from None


__all__ = ["CustodianAdapter", "CustodianUnavailable", "StatementLine", "custodian_adapter"]
