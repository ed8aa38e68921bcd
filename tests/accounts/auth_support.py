"""Helpers for the authentication tests: codes from the outbox, TOTP codes, headless calls."""

import re
import time

from django.core import mail

HEADLESS = "/_allauth/app/v1"
_CODE_LINE = re.compile(r"^[A-Z0-9]{3,}(?:-[A-Z0-9]{3,})*$")


def verification_code(to: str) -> str:
    """The email verification code in the last mail sent to `to`."""
    messages = [m for m in mail.outbox if to in m.to]
    assert messages, f"no mail to {to} in {[m.to for m in mail.outbox]}"
    for line in reversed(messages[-1].body.splitlines()):
        if _CODE_LINE.match(line.strip()):
            return line.strip()
    raise AssertionError(f"no code in mail: {messages[-1].body}")


def link_in_mail(to: str, contains: str) -> str:
    messages = [m for m in mail.outbox if to in m.to]
    assert messages, f"no mail to {to}"
    urls = re.findall(r"https?://\S+", messages[-1].body)
    matching = [u for u in urls if contains in u]
    assert matching, f"no link containing {contains!r} in: {messages[-1].body}"
    return matching[0]


def totp_code(secret: str, offset: int = 0) -> str:
    """The TOTP code for now (RFC 6238, as allauth computes it) from a base32 secret."""
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    counter = int(time.time()) // app_settings.TOTP_PERIOD + offset
    return format_hotp_value(hotp_value(secret, counter))


def totp_secret_of(user) -> str:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import decrypt

    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    return decrypt(authenticator.data["secret"])


def post_json(client, path: str, body: dict, token: str | None = None, **extra):
    headers = {"X-Session-Token": token} if token else {}
    return client.post(
        f"{HEADLESS}{path}", body, content_type="application/json", headers=headers, **extra
    )


def audit_actions(**filters) -> list[str]:
    from core.audit import AuditEvent

    return list(
        AuditEvent.objects.filter(**filters).order_by("id").values_list("action", flat=True)
    )
