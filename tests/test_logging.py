"""Structured logs: one JSON object a line, a request id, and no personal data."""

import json
import logging

import pytest

from config.logging import JsonFormatter, RedactPiiFilter, redact


def full_width(text: str) -> str:
    """`text` typed in full width, as a CJK input method does (digits, +, X; spaces kept)."""
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        ("identity check for 11010519491231002X failed", "11010519491231002X"),
        ("card 6222021234567890123 declined", "6222021234567890123"),
        ("sms to 13812345678", "13812345678"),
        ("mail to alice@example.com bounced", "alice@example.com"),
        # The spellings people type: separators inside digit runs, country prefixes.
        ("sms to +86 138 0013 8000 sent", "138 0013 8000"),
        ("sms to +8613800138000 sent", "13800138000"),
        ("sms to 0086 138 0013 8000 sent", "138 0013 8000"),
        ("call 138-0013-8000 now", "138-0013-8000"),
        ("card 6222 0200 0000 0000 013 declined", "6222 0200 0000 0000 013"),
        ("card 6222-0200-0000-0000-013 declined", "0200-0000-0000"),
        ("id 110105-19900101-0010 refused", "19900101"),
        ("id 110105 19900101 001X refused", "19900101"),
        # Full-width digits (a CJK input method) and no word boundary next to CJK text.
        (f"身份证{full_width('110105199001010053')}校验失败", full_width("110105199001010053")),
        (f"身份证{full_width('11010519491231002X')}校验失败", full_width("19491231")),
        (f"手机号{full_width('13800138000')}已注册", full_width("13800138000")),
        (f"手机号{full_width('+86 138 0013 8000')}已注册", full_width("138")),
        (f"银行卡{full_width('6222020000000000013')}", full_width("622202")),
        ("身份证110105199001010053失败", "110105199001010053"),
        ("手机13800138000已注册", "13800138000"),
    ],
)
def test_redact_removes_personal_data(text, leak):
    assert leak not in redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "GET /api/v1/loans/42 200 in 135ms",
        "run_daily --as-of 2026-11-24 finished at 2026-11-24 22:19:36",
        "amount 200000.00 CNY, rate 0.0895, term 12",
        "request abcdef0123456789",
    ],
)
def test_redact_leaves_ordinary_numbers_alone(text):
    assert redact(text) == text


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
