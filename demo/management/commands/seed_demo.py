"""Create demo users of every role (and, as capabilities grow, their data); print logins."""

from contextlib import nullcontext

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings
from django.utils.translation import gettext as _

from demo.seed import DEMO_PASSWORD, DEMO_TOTP_SECRET, seed_all


class Command(BaseCommand):
    help = "Create demo users for every role and demo data; print the logins. Idempotent."

    def handle(self, *args, **options):
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError(
                _(
                    "Demo data is refused here (DEMO_DATA_ALLOWED is off): its staff accounts "
                    "share a published password and TOTP secret."
                )
            )
        # The demo sends dozens of notifications: keep them in the outbox, not the terminal.
        quiet_mail = (
            override_settings(EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend")
            if settings.EMAIL_BACKEND == "config.mail.ConsoleAndFileBackend"
            else nullcontext()
        )
        # Each service runs in its own transaction, as in real use; a rerun finds what a
        # first run made and completes the rest.
        with quiet_mail:
            logins = seed_all()
        self.stdout.write(self.style.SUCCESS(_("Demo data ready. Logins (password for all):")))
        self.stdout.write("  " + _("password: %(password)s") % {"password": DEMO_PASSWORD})
        self.stdout.write(
            "  "
            + _("staff TOTP secret (any authenticator app): %(secret)s")
            % {"secret": DEMO_TOTP_SECRET}
        )
        for email, description in logins:
            self.stdout.write(f"  {email:<32} {description}")
