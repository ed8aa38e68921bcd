"""run_daily --as-of YYYY-MM-DD [--from YYYY-MM-DD]: the daily batch for a business date, or
for each date of a range in turn."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from lending.business_date import business_date
from lending.services.batch import run_daily


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"{option} must be YYYY-MM-DD") from exc


class Command(BaseCommand):
    help = (
        "Run the daily batch (expiry, authorised collection, due and overdue installments, "
        "late charges, reminders, delinquency, distributions, reconciliation) for a business "
        "date (default: today's), or for each date from --from to --as-of."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", dest="as_of", help="Business date, YYYY-MM-DD.")
        parser.add_argument(
            "--from", dest="since", help="Run each date from this one to --as-of, YYYY-MM-DD."
        )

    def handle(self, *args, as_of=None, since=None, **options):
        on = _date(as_of, "--as-of") if as_of else business_date()
        start = _date(since, "--from") if since else None
        if start is not None and start > on:
            raise CommandError("--from must not be after --as-of")
        results = run_daily(as_of=on, since=start)
        for name, result in results.items():
            self.stdout.write(f"{on} {name}: {result}")
