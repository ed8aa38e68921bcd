"""Make a regulatory filing for a kind and period, in one format or every configured one."""

from django.core.management.base import BaseCommand, CommandError

from compliance.filings_errors import FilingError
from compliance.filings_kinds import FILING_KINDS
from compliance.services.filings import FORMATS, filing_generate


class Command(BaseCommand):
    help = (
        "Make the filing of --kind for --period (YYYY-MM-DD for a daily kind, YYYY-MM for a "
        "monthly one). A run whose bytes equal the latest version's makes nothing new; a "
        "changed book makes the next version."
    )

    def add_arguments(self, parser):
        parser.add_argument("--kind", required=True, choices=sorted(FILING_KINDS))
        parser.add_argument("--period", required=True)
        parser.add_argument(
            "--format",
            dest="formats",
            action="append",
            choices=FORMATS,
            help="csv, xlsx or json; repeat for several (default: FILINGS_FORMATS).",
        )

    def handle(self, *args, kind, period, formats, **options):
        from django.conf import settings

        for fmt in formats or settings.FILINGS_FORMATS:
            try:
                result = filing_generate(kind=kind, period=period, fmt=fmt)
            except FilingError as exc:
                raise CommandError(f"{exc.code}: {exc.message}") from exc
            filing = result.filing
            state = "made" if result.created else "unchanged, not made again"
            self.stdout.write(
                f"{filing.kind} {filing.period} {filing.format} v{filing.version} ({state}): "
                f"{filing.row_count} rows, {filing.size} bytes, sha256 {filing.sha256}, "
                f"{filing.file.name}"
            )
