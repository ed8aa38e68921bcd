"""Benchmarks, run with `python -m bench` against PostgreSQL (DATABASE_URL)."""
