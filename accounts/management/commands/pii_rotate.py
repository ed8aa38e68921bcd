"""Re-encrypt and re-hash stored identities and enterprises under the first key in
PII_ENCRYPTION_KEYS."""

from django.core.management.base import BaseCommand

from accounts.services import identity_pii_rotate
from accounts.services_enterprise import enterprise_pii_rotate


class Command(BaseCommand):
    help = (
        "After prepending a new key to PII_ENCRYPTION_KEYS, rewrite every stored identity "
        "and enterprise under it; then the old key can be removed."
    )

    def handle(self, *args, **options):
        count = identity_pii_rotate()
        enterprises = enterprise_pii_rotate()
        self.stdout.write(
            self.style.SUCCESS(
                f"Rotated {count} identities and {enterprises} enterprises to the current key."
            )
        )
