"""The platform's terms that page copy states (currency, borrowing caps), read from the
settings that enforce them, so what a page promises cannot drift from the rules."""

from django.conf import settings


def platform_terms(request):
    return {
        "platform_currency": settings.PLATFORM_CURRENCY,
        "borrowing_caps": {
            "individual_platform": settings.LENDING_CAP_INDIVIDUAL_PLATFORM,
            "individual_total": settings.LENDING_CAP_INDIVIDUAL_TOTAL,
            "enterprise_platform": settings.LENDING_CAP_ENTERPRISE_PLATFORM,
            "enterprise_total": settings.LENDING_CAP_ENTERPRISE_TOTAL,
        },
    }
