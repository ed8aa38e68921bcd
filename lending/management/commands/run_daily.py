"""run_daily --as-of YYYY-MM-DD: the daily batch for one business date."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from lending.business_date import business_date
from lending.services.batch import run_daily


class Command(BaseCommand):
    help = "Run the daily batch (expiry, ...) for a business date (default: today's)."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", dest="as_of", help="Business date, YYYY-MM-DD.")

    def handle(self, *args, as_of=None, **options):
        try:
            on = date.fromisoformat(as_of) if as_of else business_date()
        except ValueError as exc:
            raise CommandError("--as-of must be YYYY-MM-DD") from exc
        results = run_daily(as_of=on)
        for name, result in results.items():
            self.stdout.write(f"{on} {name}: {result}")
