"""Adapters to systems outside the platform that accounts depends on (identity provider)."""
