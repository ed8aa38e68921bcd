"""The OpenAPI schema's shared error responses: every API error body is `{code, message}`.

Views document their success shape and their own refusals; this postprocessing hook adds
the errors any endpoint can answer, so a client (or a schema-driven fuzzer) finds every
status it may get documented: 400 (bad fields, malformed body, NUL bytes), 401/403 (not
signed in, wrong role), 404 (unknown id, page past the end), 409/422 (a money-moving POST's
Idempotency-Key in flight or reused; a business rule) and 429 (throttled), each naming its
codes; and the 414 the HTTP server itself answers to an overlong URL. It also says that an
empty query value (`?kind=`) is refused, except `page=` (the first page).
"""

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every API error: a stable machine-readable `code` and a human message.",
    "properties": {
        "code": {"type": "string", "example": "amount_too_precise"},
        "message": {"type": "string"},
        "fields": {
            "type": "object",
            "additionalProperties": True,
            "description": "Validation errors by field (400 only).",
        },
        "details": {
            "type": "object",
            "additionalProperties": {"type": "string"},
        },
    },
    "required": ["code", "message"],
}

_DESCRIPTIONS = {
    "400": "Invalid fields (`fields` says which, `code` is the first field's: e.g. "
    "`amount_invalid`, `wrong_type`, `invalid_page_size`, `validation_error`), a malformed "
    "request (`malformed_request`), or a request refused by a rule of its own (its `code`).",
    "401": "Not signed in (`not_authenticated`), or an expired session token "
    "(`authentication_failed`).",
    "403": "Signed in without the role or verified identity this needs (`permission_denied`, "
    "`identity_not_verified`, ...).",
    "404": "No such object for this user, or a page that is not a number from 1 or lies past "
    "the end (`not_found`).",
    "409": "Refused in the object's current state (its `code`), or the same Idempotency-Key "
    "is in flight (`idempotency_in_progress`).",
    "422": "Refused by a business rule (its `code`), or the Idempotency-Key was used with "
    "another body (`idempotency_key_reused`).",
    "429": "Too many requests (`throttled`): retry later.",
}
# Answered by the HTTP server before the application, as plain text or HTML: no Error body.
_SERVER_ONLY = {
    "414": "The URL is longer than the server reads (4,094 bytes in the request line).",
}


def _statuses(method: str, operation: dict) -> list[str]:
    statuses = ["400", "429"]
    if {} not in operation.get("security", [{}]):
        statuses += ["401", "403"]
    params = {p["name"] for p in operation.get("parameters", [])}
    if any(p["in"] == "path" for p in operation.get("parameters", [])) or "page" in params:
        statuses.append("404")
    if method == "post":
        statuses += ["409", "422"]
    return statuses


def add_error_responses(result, generator, request, public):
    """Give each API operation the shared error responses it lacks, each with the Error
    schema (views' own description-only error responses get the schema too)."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status in _statuses(method, operation):
                responses.setdefault(status, {"description": _DESCRIPTIONS[status]})
            for status, response in responses.items():
                if status.startswith(("4", "5")) and "content" not in response:
                    response["content"] = content
            for status, description in _SERVER_ONLY.items():
                responses.setdefault(status, {"description": description})
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    # Only `page=` means its default; any other empty value is a 400.
                    parameter.setdefault("allowEmptyValue", False)
            operation["responses"] = dict(sorted(responses.items()))
            _require_polymorphic_body(operation, result["components"]["schemas"])
    return result


def _require_polymorphic_body(operation: dict, schemas: dict) -> None:
    """A body that is one of several forms (a `oneOf`, e.g. a repayment's amount or kind)
    is required: drf-spectacular marks a body required only from a serializer's own fields."""
    body = operation.get("requestBody")
    if not body:
        return
    for media in body.get("content", {}).values():
        ref = media.get("schema", {}).get("$ref", "")
        if "oneOf" in schemas.get(ref.rsplit("/", 1)[-1], {}):
            body["required"] = True
