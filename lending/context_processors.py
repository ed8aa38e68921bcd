"""The platform's terms that page copy states (currency, borrowing caps), read from the
settings that enforce them, so what a page promises cannot drift from the rules."""

from django.conf import settings

from lending.conf import setting


def platform_terms(request):
    return {
        "platform_currency": settings.PLATFORM_CURRENCY,
        "borrowing_caps": {
            "individual_platform": setting("LENDING_CAP_INDIVIDUAL_PLATFORM"),
            "individual_total": setting("LENDING_CAP_INDIVIDUAL_TOTAL"),
            "enterprise_platform": setting("LENDING_CAP_ENTERPRISE_PLATFORM"),
            "enterprise_total": setting("LENDING_CAP_ENTERPRISE_TOTAL"),
        },
    }
