"""Structured JSON logging with a request id and redaction of personal data."""

import contextvars
import json
import logging
import re
import uuid

_request_id = contextvars.ContextVar("request_id", default="-")

# Separators people type inside long numbers: space, hyphens and dashes, and their
# full-width forms (U+3000, U+FF0D). At most one between two digits.
_SEP = "[ \\-\u2010-\u2015\u2212\u3000\uff0d]?"
# `\d` is Unicode-aware on str patterns, so full-width digits match too; the literal
# characters below list their full-width forms (U+FF0B plus, U+FF11.. digits, U+FF38 X).
# Lookarounds replace `\b`, which never fires between a CJK character and a digit.
_PLUS = "[+\uff0b]"
_CHECK = "[\\dXx\uff38\uff58]"
_PHONE = f"[1\uff11][3-9\uff13-\uff19](?:{_SEP}\\d){{9}}"
_CN_PREFIX = f"(?:{_PLUS}|00){_SEP}[8\uff18][6\uff16]{_SEP}"
# Emails go first so a phone-number local part does not leave the domain behind; long
# numbers (cards) go before phones so a phone-shaped run inside a card is not cut out alone.
_PII_PATTERNS = [
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "[email]"),
    (re.compile(rf"(?<!\d)(?:\d{_SEP}){{17}}{_CHECK}(?!\d)"), "[national-id]"),
    (re.compile(rf"(?<![\d+\uff0b])\d(?:{_SEP}\d){{11,18}}(?!\d)"), "[number]"),
    (re.compile(rf"(?:{_CN_PREFIX}|(?<!\d)){_PHONE}(?!\d)"), "[phone]"),
]


def redact(text: str) -> str:
    """Replace anything that looks like personal data in `text`."""
    for pattern, replacement in _PII_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactPiiFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = ()
        return True


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            payload["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(payload, ensure_ascii=False)


class RequestIdMiddleware:
    """Tag every log line of a request with its id (taken from X-Request-ID or new)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if re.fullmatch(r"[\w-]{8,64}", incoming) else uuid.uuid4().hex
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response
