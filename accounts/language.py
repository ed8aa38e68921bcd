"""The user's language: pages follow it, and so must everything sent to them.

Senders of emails and notifications render inside `user_language(user)`:

    from accounts.language import user_language

    with user_language(recipient):
        subject = render_to_string("…_subject.txt", context)
        body = render_to_string("…_message.txt", context)

so a Chinese-speaking user gets a Chinese email even when a Celery task or an English-speaking
staff member's request sends it.
"""

from collections.abc import Mapping
from contextlib import AbstractContextManager

from django.conf import settings
from django.utils import formats, translation
from django.utils.functional import lazy


def supported(code: str | None) -> str | None:
    """The platform's language code for `code` ("zh-CN" -> "zh-hans"), or None."""
    if not code:
        return None
    try:
        found = translation.get_supported_language_variant(code)
    except LookupError:
        return None
    return found if found in dict(settings.LANGUAGES) else None


def language_of(user) -> str:
    """The language to address `user` in: their stored choice, else the platform default."""
    return supported(getattr(user, "language", "")) or settings.LANGUAGE_CODE


def stored_values(code: str) -> tuple[list[str], bool]:
    """The User.language values `language_of` reads as `code`, for senders that choose
    recipients in SQL: (values, negated). The platform's default language is every value but
    the other languages' (blank included); another language is its own code, the only value
    `remember_language` stores for it."""
    others = [other for other, _name in settings.LANGUAGES if other != code]
    if code == settings.LANGUAGE_CODE:
        return others, True
    return [code], False


def _date_text(value) -> str:
    return formats.date_format(value, "DATE_FORMAT")


# A date as the active language writes it ("Dec. 6, 2026", "2026年12月6日"), formatted when
# the message it is put in is rendered: `message % {"due_on": local_date(day)}` inside
# `user_language(recipient)` or `sql_text`.
local_date = lazy(_date_text, str)


def sql_text(
    message, *, name: str, language: str, fields: Mapping[str, str], **params
) -> tuple[str, dict]:
    """SQL for `message` written in each row's recipient language, for senders that write
    notifications with INSERT ... SELECT: (expression, named parameters).

    `language` is the SQL column holding the recipient's User.language; `fields` maps the
    message's per-row placeholders to SQL expressions (`{"loan": "l.reference"}`), and
    `params` gives the rest in Python (they may pick an ngettext form). The message is
    rendered once per language with each per-row placeholder left as a marker, then the
    expression picks the recipient's text with CASE and puts the row's values in with
    REPLACE (the same on PostgreSQL and SQLite). `name` prefixes the parameters, so one
    statement can hold several texts."""
    markers = {field: f"{{{field}}}" for field in fields}
    values: dict = {}
    chosen = []
    for code, _name in settings.LANGUAGES:
        key = f"{name}_{code.replace('-', '_')}"
        with translation.override(code):
            values[key] = str(message % {**params, **markers})
        text = f"%({key})s"
        for field, expression in fields.items():
            text = f"REPLACE({text}, '{{{field}}}', {expression})"
        chosen.append((code, key, text))
    default = next(text for code, _key, text in chosen if code == settings.LANGUAGE_CODE)
    whens = []
    for code, key, text in chosen:
        if code != settings.LANGUAGE_CODE:
            values[f"{key}_code"] = code
            whens.append(f"WHEN {language} = %({key}_code)s THEN {text}")
    if not whens:
        return default, values
    return f"(CASE {' '.join(whens)} ELSE {default} END)", values


def user_language(user) -> AbstractContextManager:
    """Activate `user`'s language for the block (translations, date and number formats)."""
    return translation.override(language_of(user))


def remember_language(user, code: str) -> bool:
    """Store `code` as `user`'s language; False (nothing stored) for an unsupported code."""
    language = supported(code)
    if language is None:
        return False
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return True


def remember_signup_language(sender, request, user, **kwargs) -> None:
    """allauth's user_signed_up: a new user is written to in the language they signed up in."""
    if not user.language:
        remember_language(user, translation.get_language() or settings.LANGUAGE_CODE)
