"""The schema of every decimal input says exactly what the server takes: for any value, the
field's OpenAPI schema admits it if and only if the serializer field accepts it."""

from decimal import Decimal

import jsonschema_rs
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from core.fields import AmountField, AmountFieldSchema, PlainDecimalField, PlainDecimalFieldSchema
from lending.api.serializers import RATE_RANGE

MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": Decimal("0")}
SHARE = {"max_digits": 4, "decimal_places": 3, "min_value": Decimal("0.001"), "max_value": 1}

FIELDS = {
    "amount": lambda: (AmountField(), AmountFieldSchema),
    "amount_or_zero": lambda: (AmountField(allow_zero=True), AmountFieldSchema),
    "money": lambda: (PlainDecimalField(**MONEY), PlainDecimalFieldSchema),
    "rate": lambda: (PlainDecimalField(max_digits=7, decimal_places=6, **RATE_RANGE), None),
    "share": lambda: (
        PlainDecimalField(**{**SHARE, "max_value": Decimal(SHARE["max_value"])}),
        None,
    ),
}


def _field_and_validator(name):
    field, extension = FIELDS[name]()
    field.bind(name, serializers.Serializer())
    extension = extension or PlainDecimalFieldSchema
    schema = extension(field).map_serializer_field(None, "request")
    # OpenAPI 3.0 reads schemas as JSON Schema draft 4, where 1.0 is not an integer.
    return field, jsonschema_rs.Draft4Validator(schema)


def _accepted(field, value) -> bool:
    try:
        field.run_validation(value)
    except serializers.ValidationError:
        return False
    return True


# Decimal-looking text: digits (zeros often), a point, a minus, white space, and the odd
# other character; lengths around the 32-character limit of amounts.
decimal_text = st.text(alphabet="0000000123456789..-+ e\n", max_size=40)
values = decimal_text | st.integers(min_value=-10, max_value=10**13) | st.floats(-5, 5)


@pytest.mark.parametrize("name", sorted(FIELDS))
@settings(max_examples=500, deadline=None)
@given(value=values)
@example(value="0")
@example(value="-0")
@example(value="-0.000")
@example(value="0.001")
@example(value="1.500")
@example(value="1000000000")
@example(value="1000000000.000")
@example(value="1000000000.01")
@example(value="999999999999.99")
@example(value="1.000001")
@example(value="0" * 31 + "1")
@example(value="0" * 32 + "1")
@example(value=" 1")
@example(value="1\n")
@example(value="")
@example(value=1000000000)
def test_decimal_field_schema_admits_exactly_what_the_field_accepts(name, value):
    field, validator = _field_and_validator(name)
    assert validator.is_valid(value) == _accepted(field, value), (name, value)
