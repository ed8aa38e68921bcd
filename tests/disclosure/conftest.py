"""Disclosure tests reach across the book: lending's onboarding stub and product fixtures."""

from tests.lending.conftest import onboarding, product  # noqa: F401 - fixtures
