"""Lending limits and switches with their defaults; each may be overridden in Django settings."""

from decimal import Decimal

from django.conf import settings

DEFAULTS = {
    # Borrowing caps (Interim Measures art. 17): on this platform / across all platforms.
    "LENDING_CAP_INDIVIDUAL_PLATFORM": Decimal("200000"),
    "LENDING_CAP_INDIVIDUAL_TOTAL": Decimal("1000000"),
    "LENDING_CAP_ENTERPRISE_PLATFORM": Decimal("1000000"),
    "LENDING_CAP_ENTERPRISE_TOTAL": Decimal("5000000"),
    # Clean cases in these grades up to this amount are approved without a reviewer.
    "LENDING_AUTO_APPROVE_GRADES": ("A", "B"),
    "LENDING_AUTO_APPROVE_MAX_AMOUNT": Decimal("50000"),
    # Anti-fraud: applications by one borrower within the window before it is flagged.
    "LENDING_VELOCITY_MAX_APPLICATIONS": 3,
    "LENDING_VELOCITY_WINDOW_DAYS": 30,
    # Maker-checker: disbursements of more than this need a second approver.
    "LENDING_DISBURSEMENT_CHECKER_THRESHOLD": Decimal("50000"),
}


def setting(name: str):
    """The Django setting `name`, or the lending default."""
    return getattr(settings, name, DEFAULTS[name])
