"""JSON that reads one way only: json.loads with the refusals every JSON interface needs.

json.loads alone accepts what reads two ways or fails later:
- nesting some thousands deep, where it recurses past the limit (a RecursionError);
- a key given twice: it keeps the last, so `{"amount": "1", "amount": "900"}` would mean
  whatever the reader's parser picks;
- a lone surrogate (`"\\ud800"`): no character, it cannot be encoded and fails wherever the
  value goes next (a 400 that echoes it, a password hasher, PostgreSQL).
"""

import json
import re

from django.utils.translation import gettext as _

# Far deeper than any real payload, far shallower than the recursion limit.
MAX_DEPTH = 100
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(rb"[\[\]{}]")
# A surrogate code point in a decoded str is always a lone one: json.loads joins a valid
# escaped pair into one character.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class UnreadableJson(ValueError):
    """The body is not JSON, or is JSON that must not be read; the message says why."""


def depth_exceeds(body: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether a JSON body nests arrays/objects deeper than `limit` (brackets inside
    strings do not count). Cheap when there are few brackets, as in every real request."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for bracket in _BRACKETS.findall(_STRING.sub(b"", body)):
        depth += 1 if bracket in b"[{" else -1
        if depth > limit:
            return True
    return False


def _refuse_duplicate_keys(pairs):
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise UnreadableJson(_("A JSON object names the same key twice."))
    return dict(pairs)


def _has_lone_surrogate(value) -> bool:
    if isinstance(value, str):
        return _LONE_SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


def loads(body: bytes, **kwargs):
    """The decoded body, or UnreadableJson: not UTF-8 JSON, nested deeper than MAX_DEPTH,
    a key given twice, or a lone surrogate. Keyword arguments go to json.loads."""
    if depth_exceeds(body):
        raise UnreadableJson(_("The JSON is nested too deeply."))
    try:
        data = json.loads(body, object_pairs_hook=_refuse_duplicate_keys, **kwargs)
    except UnreadableJson:
        raise
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise UnreadableJson(_("The body is not valid JSON.")) from None
    if _has_lone_surrogate(data):
        raise UnreadableJson(
            _("A JSON string holds a lone surrogate (\\ud800-\\udfff), which is no character.")
        )
    return data
