"""Create demo users of every role (and, as capabilities grow, their data); print logins."""

from django.core.management.base import BaseCommand
from django.db import transaction

from demo.seed import DEMO_PASSWORD, DEMO_TOTP_SECRET, seed_all


class Command(BaseCommand):
    help = "Create demo users for every role and demo data; print the logins. Idempotent."

    def handle(self, *args, **options):
        with transaction.atomic():
            logins = seed_all()
        self.stdout.write(self.style.SUCCESS("Demo data ready. Logins (password for all):"))
        self.stdout.write(f"  password: {DEMO_PASSWORD}")
        self.stdout.write(f"  staff TOTP secret (any authenticator app): {DEMO_TOTP_SECRET}")
        for email, description in logins:
            self.stdout.write(f"  {email:<32} {description}")
