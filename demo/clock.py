"""The demo's history: seed what happened on an earlier day with that day's timestamps.

Inside `demo_clock(day)` the business date is `day` and Django's clock (timezone.now, which
model defaults and the services read) reads `day` at the current time of day, so an
investment placed in a listing two weeks ago is dated two weeks ago, before its funding
closed, and its ledger lines, notifications and audit events agree. Demo seeding only: it
runs before the web server and the worker start, in one thread.
"""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone as django_timezone

from lending.business_date import business_date_set


@contextmanager
def demo_clock(day: dt.date) -> Iterator[None]:
    real = django_timezone.datetime
    offset = dt.timedelta(days=(django_timezone.localdate() - day).days)

    class _Clock(type):
        # Real datetimes still pass the isinstance checks django.utils.timezone makes.
        def __instancecheck__(cls, value) -> bool:
            return isinstance(value, real)

        def __subclasscheck__(cls, subclass) -> bool:
            return issubclass(subclass, real)

    class ShiftedDatetime(real, metaclass=_Clock):
        @classmethod
        def now(cls, tz=None):
            return real.now(tz) - offset

    django_timezone.datetime = ShiftedDatetime
    try:
        business_date_set(on=day)
        yield
    finally:
        django_timezone.datetime = real
