"""Re-encrypt and re-hash every stored identifier under the first key in
PII_ENCRYPTION_KEYS: identities and enterprises (accounts) and the blocklist (lending).

It lives here, in the top layer, because it is the one command that reaches into both."""

from django.core.management.base import BaseCommand

from accounts.services import enterprise_pii_rotate, identity_pii_rotate
from lending.services.blocklist import blocklist_pii_rotate


class Command(BaseCommand):
    help = (
        "After prepending a new key to PII_ENCRYPTION_KEYS, rewrite every stored identity, "
        "enterprise and blocklist entry under it; then the old key can be removed."
    )

    def handle(self, *args, **options):
        identities = identity_pii_rotate()
        enterprises = enterprise_pii_rotate()
        blocklist = blocklist_pii_rotate()
        self.stdout.write(
            self.style.SUCCESS(
                f"Rotated {identities} identities, {enterprises} enterprises and "
                f"{blocklist.rehashed} blocklist entries to the current key."
            )
        )
        if blocklist.hash_only:
            self.stdout.write(
                self.style.WARNING(
                    f"{blocklist.hash_only} blocklist entries hold only a hash, made before "
                    "identifiers were kept encrypted: they match only while the key they "
                    "were hashed under is configured. Open each in the admin and type its "
                    "identifier again before removing the old key."
                )
            )
