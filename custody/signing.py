"""The signature of custodian callbacks: hex HMAC-SHA256, with the shared secret, of
`"{timestamp}.{nonce}." + raw body` (DESIGN.md section 5). The sandbox bank signs with it and
the callback verifier (custody.services.callbacks) checks with it."""

import hashlib
import hmac


def callback_sign(secret: bytes, timestamp: str, nonce: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of f"{timestamp}.{nonce}." + raw body with the shared secret."""
    return hmac.new(secret, f"{timestamp}.{nonce}.".encode() + body, hashlib.sha256).hexdigest()


def signature_matches(
    secret: bytes, timestamp: str, nonce: str, body: bytes, signature: str
) -> bool:
    """Whether `signature` (hex, either case) is the callback's, compared in constant time."""
    expected = callback_sign(secret, timestamp, nonce, body)
    return hmac.compare_digest(expected, signature.lower())
