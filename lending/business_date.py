"""The platform's business date: today in the platform time zone, or (BUSINESS_DATE_MODE=manual)
the stored date that `run_daily --as-of` moves, so demos and tests can replay any day."""

from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from lending.models import BusinessDate


def business_date() -> date:
    """Today's business date."""
    if getattr(settings, "BUSINESS_DATE_MODE", "calendar") == "manual":
        stored = BusinessDate.objects.filter(pk=1).values_list("current_on", flat=True).first()
        if stored is not None:
            return stored
    return timezone.localdate()


@transaction.atomic
def business_date_set(*, on: date) -> date:
    """Move the manual business date to `on` (a no-op in calendar mode)."""
    if getattr(settings, "BUSINESS_DATE_MODE", "calendar") != "manual":
        return timezone.localdate()
    BusinessDate.objects.update_or_create(pk=1, defaults={"current_on": on})
    return on
