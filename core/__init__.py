"""Shared building blocks that know no app: errors, strict input, money maths, the audit
trail, HTTP idempotency, request hygiene, pagination and the suitability policies."""
