"""The lending fixtures (an onboarded investor and borrower, a loan product) for the pages
walked in Chinese."""

from tests.lending.conftest import onboarding, product  # noqa: F401
