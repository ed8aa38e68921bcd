"""Campaign attribution: the landing's campaign parameters, held in the visitor's session
from the first visit that carried any, and recorded on the user at signup."""

from collections.abc import Mapping
from datetime import datetime

from django.db import IntegrityError, transaction

from promotion.models import Attribution

# Where the first landing waits in the session until signup.
SESSION_KEY = "promotion.landing"

# Query parameter -> Attribution field. `ref` carries a referral code (the referral link).
_PARAMETERS = {
    "utm_source": "source",
    "utm_medium": "medium",
    "utm_campaign": "campaign",
    "utm_term": "term",
    "utm_content": "content",
    "ref": "referral_code",
}
_LIMITS = {"referral_code": 32, "landing_path": 200}
_DEFAULT_LIMIT = 100


def _clean(value: str, limit: int) -> str:
    """A parameter as stored: printable characters only, trimmed, cut to the column."""
    printable = "".join(ch for ch in value if ch.isprintable())
    return printable.strip()[:limit]


def landing_from_query(params: Mapping[str, str], *, path: str, at: datetime) -> dict | None:
    """The attribution a landing carries, as a JSON-ready dict for the session, or None
    when the URL has no campaign parameter and no referral code (a direct visit)."""
    landing = {}
    for parameter, field in _PARAMETERS.items():
        value = _clean(str(params.get(parameter, "")), _LIMITS.get(field, _DEFAULT_LIMIT))
        if value:
            landing[field] = value
    if not landing:
        return None
    landing["landing_path"] = _clean(path, _LIMITS["landing_path"])
    landing["first_visit_at"] = at.isoformat()
    return landing


def attribution_record(*, user_id: int, landing: Mapping | None) -> Attribution | None:
    """Keep the session's first landing on the user who just signed up. First touch wins: a
    user who has an attribution keeps it; a landing without a parameter records nothing."""
    if not landing:
        return None
    fields = {
        field: _clean(str(landing.get(field, "")), _LIMITS.get(field, _DEFAULT_LIMIT))
        for field in (*_PARAMETERS.values(), "landing_path")
    }
    try:
        first_visit_at = datetime.fromisoformat(str(landing["first_visit_at"]))
    except (KeyError, ValueError):
        return None
    try:
        with transaction.atomic():
            attribution, _created = Attribution.objects.get_or_create(
                user_id=user_id, defaults={**fields, "first_visit_at": first_visit_at}
            )
    except IntegrityError:  # a concurrent signup request recorded it first
        attribution = Attribution.objects.get(user_id=user_id)
    return attribution
