"""Reconcile the ledger against itself and the custodian's statement for one day."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from custody.services.reconciliation import reconciliation_run


class Command(BaseCommand):
    help = (
        "Prove cached balances against postings and compare the custodian statement; open breaks."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", type=date.fromisoformat, help="statement date YYYY-MM-DD (default: yesterday)"
        )
        parser.add_argument("--custodian", default="sandbox")

    def handle(self, *args, **options):
        run = reconciliation_run(statement_on=options["date"], custodian=options["custodian"])
        self.stdout.write(
            f"Reconciliation {run.statement_on}: {run.accounts_checked} accounts, "
            f"{run.balance_mismatches} balance mismatches, balances sum {run.balances_sum_amount}, "
            f"{run.statement_lines} statement lines, {run.breaks_found} breaks."
        )
        if not run.is_clean:
            raise CommandError(
                f"The ledger does not reconcile: see breaks of run #{run.pk} in the admin."
            )
        self.stdout.write(self.style.SUCCESS("The ledger reconciles."))
