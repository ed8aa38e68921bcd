"""Compliance writes, one module per concept: ops alerts and the audit chain's check
(alerts), complaints (complaints)."""

from compliance.services.alerts import alert_raise, alert_resolve, audit_chain_check

__all__ = ["alert_raise", "alert_resolve", "audit_chain_check"]
