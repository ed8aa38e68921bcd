"""Promotion writes: attribution at signup, marketing consent (referrals and segments add
their modules here)."""
