"""Structured logs: one JSON object a line, a request id, and no personal data."""

import json
import logging

import pytest

from config.logging import JsonFormatter, RedactPiiFilter, redact


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        ("identity check for 11010519491231002X failed", "11010519491231002X"),
        ("card 6222021234567890123 declined", "6222021234567890123"),
        ("sms to 13812345678", "13812345678"),
        ("mail to alice@example.com bounced", "alice@example.com"),
    ],
)
def test_redact_removes_personal_data(text, leak):
    assert leak not in redact(text)


def test_log_line_is_json_with_the_message_redacted():
    record = logging.LogRecord(
        "p2p",
        logging.WARNING,
        __file__,
        1,
        "user %s phone %s",
        ("bob@example.com", "13900001111"),
        None,
    )
    RedactPiiFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "WARNING"
    assert "bob@example.com" not in line["message"] and "13900001111" not in line["message"]


def test_every_response_carries_a_request_id(client, db):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abcdef0123456789")
    assert response["X-Request-ID"] == "abcdef0123456789"
    assert len(client.get("/healthz", HTTP_X_REQUEST_ID="bad id!")["X-Request-ID"]) == 32
