"""Compliance models. The audit trail's models live in the leaf module compliance.audit."""

from compliance.audit import AuditEvent

__all__ = ["AuditEvent"]
