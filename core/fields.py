"""Input fields for forms (pages and the admin) and the API that take plain decimal text only
(core.decimal_text): the one money field, AmountFormField / AmountField, parsed by
core.money.parse_amount with its codes; PlainDecimalFormField / PlainDecimalField for rates,
shares and incomes. Also what every API input takes as JSON: each value of the type its field
states, and text as the schema describes it."""

from collections.abc import Mapping
from decimal import Decimal

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from core import money
from core.decimal_text import decimal_pattern, is_plain_decimal
from core.text import SCHEMA_LINE_BREAKS, SCHEMA_REFUSED, PublicText

_NOT_PLAIN = _("Use only the digits 0-9 and one decimal point.")


class PlainDecimalFormField(forms.DecimalField):
    """forms.DecimalField that refuses exponents, signs and non-ASCII digits. White space
    around the value is still trimmed, as for every form field."""

    def to_python(self, value):
        if value not in self.empty_values:
            text = str(value).strip()
            if not is_plain_decimal(text):
                raise forms.ValidationError(_NOT_PLAIN, code="invalid")
        return super().to_python(value)


class PlainDecimalField(serializers.DecimalField):
    """serializers.DecimalField that takes a plain decimal string or an integer; a JSON
    float (which may not hold the decimal that was meant), an exponent, a sign, white space
    or a non-ASCII digit is refused with the field's `invalid` code."""

    default_error_messages = {"invalid": _NOT_PLAIN}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("invalid")
        if isinstance(data, str) and not is_plain_decimal(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class PlainDecimalFieldSchema(OpenApiSerializerFieldExtension):
    """PlainDecimalField in the schema exactly as the server reads it: a plain decimal
    string (at most DRF's 1,000 characters) or an integer, within the field's digits and
    range. Ranges run from zero or from the smallest unit, up to a power of ten or to what
    the digits hold: the shapes a regular expression can state exactly."""

    target_class = PlainDecimalField

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        if direction == "response":
            return auto_schema._map_serializer_field(field, direction, bypass_extensions=True)
        places = field.decimal_places
        whole_digits = field.max_digits - places
        unit = Decimal(1).scaleb(-places)
        if field.min_value not in (Decimal(0), unit):
            raise ValueError(f"{field.field_name}: min_value must be 0 or {unit} for the schema")
        top = 10**whole_digits
        if field.max_value is not None:
            exponent = field.max_value.adjusted()
            if field.max_value != Decimal(10) ** exponent or not 0 <= exponent <= whole_digits:
                raise ValueError(f"{field.field_name}: max_value must be a power of ten")
            whole_digits, top = exponent, 10**exponent
        zero = field.min_value == 0
        pattern = decimal_pattern(
            whole_digits=whole_digits,
            places=places,
            zero=zero,
            power=field.max_value is not None,
        )
        text = {
            "type": "string",
            "format": "decimal",
            "pattern": pattern,
            "maxLength": field.MAX_STRING_LENGTH,
        }
        maximum = top if field.max_value is not None else top - 1
        return {
            "anyOf": [text, {"type": "integer", "minimum": 0 if zero else 1, "maximum": maximum}]
        }


# What str.strip() (and so DRF's trim_whitespace) removes: Python's white space, which is
# not quite ECMAScript's \s (it adds \x1c-\x1f and \x85 and lacks \ufeff).
_SPACE = r"\t-\r\x1c- \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# DRF refuses NUL in any text; a trimmed field that may not be blank needs one character
# that is not white space.
TEXT_PATTERN = r"^[^\x00]*$"
NON_BLANK_PATTERN = rf"^[^\x00]*[^{_SPACE}\x00][^\x00]*$"


class CharFieldSchema(OpenApiSerializerFieldExtension):
    """Text inputs in the schema as DRF reads them: no NUL, and not only white space where
    the field trims and may not be blank (a bare minLength would admit "  ")."""

    target_class = serializers.CharField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        schema = auto_schema._map_serializer_field(field, direction, bypass_extensions=True)
        has_regex = any(isinstance(v, RegexValidator) for v in field.validators)
        if direction == "request" and not has_regex and "enum" not in schema:
            blank_refused = field.trim_whitespace and not field.allow_blank
            public = next((v for v in field.validators if isinstance(v, PublicText)), None)
            if public is not None:
                refused = SCHEMA_REFUSED + ("" if public.multiline else SCHEMA_LINE_BREAKS)
                schema["pattern"] = (
                    rf"^[^{refused}]*[^{refused}{_SPACE}][^{refused}]*$"
                    if blank_refused
                    else rf"^[^{refused}]*$"
                )
            else:
                schema["pattern"] = NON_BLANK_PATTERN if blank_refused else TEXT_PATTERN
        return schema


def _json_types(field) -> tuple[type, ...] | None:
    """The JSON types a field takes (None: the field checks for itself)."""
    if isinstance(field, serializers.BooleanField):
        return (bool,)
    if isinstance(field, serializers.IntegerField):
        return (int,)
    if isinstance(field, serializers.CharField):
        return (str,)
    if isinstance(field, serializers.ListField):
        return (list,)
    return None


class JsonTypedInput:
    """A serializer mixin for JSON bodies: each value must already have its field's JSON
    type. DRF alone turns 12 into "12" for a text field, "3" or 3.0 into 3 for a number and
    "yes" into True, none of which the schema (or a careful client) expects to work."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            errors = {}
            for name, field in self.fields.items():
                value = data.get(name)
                expected = _json_types(field)
                if field.read_only or value is None or expected is None:
                    continue
                wrong = not isinstance(value, expected) or (
                    isinstance(value, bool) and bool not in expected
                )
                if wrong:
                    kind = {bool: "true or false", int: "a whole number", str: "text"}.get(
                        expected[0], "a list"
                    )
                    errors[name] = [serializers.ErrorDetail(f"Send {kind}.", code="wrong_type")]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class AmountFormField(forms.CharField):
    """An amount typed on a page or in the admin, parsed by core.money.parse_amount (codes
    and all): Django's DecimalField would take "1e5", "NaN" and non-ASCII digits. `allow_zero`
    admits exactly zero (a floor such as cash to keep, a product charging no late fee)."""

    def __init__(self, *, allow_zero: bool = False, **kwargs):
        self.allow_zero = allow_zero
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={"inputmode": "decimal", "autocomplete": "off", "placeholder": "0.00"}
            ),
        )
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value in self.empty_values and not self.required:
            return None
        try:
            return money.parse_amount(value, allow_zero=self.allow_zero)
        except money.AmountError as exc:
            raise forms.ValidationError(str(exc), code=exc.code) from None


class AmountField(serializers.Field):
    """A positive amount sent as a decimal string (or an exact integer); floats, exponents,
    white space around it and the like refused. `allow_zero` admits zero (a floor such as
    cash to keep, not a movement)."""

    def __init__(self, *, allow_zero: bool = False, **kwargs):
        self.allow_zero = allow_zero
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str) and data != data.strip(" \t\r\n"):
            # Pages may pad what people type; a JSON client's amount is exactly its text.
            raise serializers.ValidationError(
                gettext("Send the amount without white space around it."), code="amount_invalid"
            )
        try:
            return money.parse_amount(data, allow_zero=self.allow_zero)
        except money.AmountError as exc:
            raise serializers.ValidationError(str(exc), code=exc.code) from None

    def to_representation(self, value):
        return f"{value:.2f}"


class AmountFieldSchema(OpenApiSerializerFieldExtension):
    """AmountField in the schema exactly as to_internal_value reads it: a decimal string
    from one cent (or zero) to MAX_AMOUNT with at most two decimal places (more only as
    zeros), up to 32 characters, or an integer in that range."""

    target_class = AmountField

    def map_serializer_field(self, auto_schema, direction):
        if direction == "response":
            return {"type": "string", "format": "decimal", "pattern": r"^[0-9]+\.[0-9]{2}$"}
        allow_zero = self.target.allow_zero
        whole_digits = money.MAX_AMOUNT.adjusted()
        if money.MAX_AMOUNT.scaleb(-whole_digits) != 1:
            raise ValueError("MAX_AMOUNT must be a power of ten for the amount's pattern")
        text = {
            "type": "string",
            "format": "decimal",
            "pattern": decimal_pattern(
                whole_digits=whole_digits,
                places=money.PLACES,
                zero=allow_zero,
                power=True,
                spare_zeros=True,
            ),
            "maxLength": money.MAX_TEXT_LENGTH,
            "example": "100.00",
        }
        whole = {"type": "integer", "minimum": 0 if allow_zero else 1}
        whole["maximum"] = int(money.MAX_AMOUNT)
        return {
            "anyOf": [text, whole],
            "description": f"Up to {money.MAX_AMOUNT:.2f}"
            + (", zero allowed." if allow_zero else ", more than zero."),
        }
