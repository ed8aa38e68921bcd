"""Audit trail, policies (limits), filings, regulator portal, complaints, data-subject requests."""
