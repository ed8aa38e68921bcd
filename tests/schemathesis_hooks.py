"""Schemathesis' check and hooks for this API, used by tests/test_api_fuzz.py and by a run
against a live server (the command is in schemathesis.toml, which both read).

Two rules of the API are not a shape an OpenAPI schema can state, so they are taught here:

- Business rules answer a schema-valid request with 400 and a code of their own (lending's
  domain errors: an amount outside the product's range or off its investment step, a term
  the product does not offer), or with 422. They depend on stored data. The built-in
  positive_data_acceptance would count each as a schema defect, so it is replaced by
  `schema_valid_request_passes_validation`, which still fails on every 400 that names
  `fields` (a serializer refused the shape) or says `malformed_request`.
- A range's upper end may not fall below its lower end (the wallet's `date_from` and
  `date_to`; an auto-invest rule's terms and rates, where a missing end is the default
  1-60 months, 0-1): a relation between two values, which JSON Schema cannot express, so
  generated requests keep each range in order.
"""

from datetime import date
from decimal import Decimal, InvalidOperation

import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance

# What a refusal of the request's shape looks like; any other 400 is a business rule's.
SHAPE_REFUSAL_CODES = {"malformed_request"}


def _is_business_refusal(response) -> bool:
    if response.status_code != 400:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return (
        isinstance(body, dict)
        and "fields" not in body
        and body.get("code") not in SHAPE_REFUSAL_CODES
    )


@schemathesis.check
def schema_valid_request_passes_validation(ctx, response, case):
    """positive_data_acceptance, except for a business rule's 400 (see the module)."""
    if _is_business_refusal(response):
        return None
    return positive_data_acceptance(ctx, response, case)


def _date(value):
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _number(value, default):
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        return None


def _in_order(low, high) -> bool:
    return low is None or high is None or low <= high


# filter_case, not filter_query/filter_body: it also applies to the coverage phase's cases.
@schemathesis.hook("filter_case").apply_to(path="/api/v1/wallet/entries")
def dates_in_order(ctx, case):
    query = case.query or {}
    return _in_order(_date(query.get("date_from")), _date(query.get("date_to")))


@schemathesis.hook("filter_case").apply_to(path_regex=r"^/api/v1/auto-invest-rules")
def rule_ranges_in_order(ctx, case):
    body = case.body
    if not isinstance(body, dict):
        return True
    terms = (_number(body.get("min_term_months"), 1), _number(body.get("max_term_months"), 60))
    rates = (_number(body.get("min_rate"), 0), _number(body.get("max_rate"), 1))
    return _in_order(*terms) and _in_order(*rates)
