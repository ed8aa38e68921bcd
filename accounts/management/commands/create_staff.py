"""`manage.py create_staff --email E --role R [--password P]`: provision a staff account."""

from django.core.management.base import BaseCommand, CommandError

from accounts.errors import AccountsError
from accounts.roles import STAFF_ROLES
from accounts.services import staff_create


class Command(BaseCommand):
    help = (
        "Create a staff user (reviewer, approver, collections, compliance, operations, "
        "regulator). "
        "Without --password, mail a set-password link. TOTP enrolment is required at "
        "first sign-in."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--role", required=True, choices=sorted(str(r) for r in STAFF_ROLES))
        parser.add_argument("--password", default=None)

    def handle(self, *args, email, role, password, **options):
        try:
            user = staff_create(email=email, role=role, password=password)
        except AccountsError as exc:
            raise CommandError(exc.message) from exc
        how = "password set" if password else "set-password link mailed"
        self.stdout.write(f"Created {role} {user.email} (id {user.pk}); {how}.")
