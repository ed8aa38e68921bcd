"""Decimal fields for forms and the API that take plain decimal text only
(config.decimal_text): the form and serializer fields every app uses for rates,
percentages and amounts that are not movements of money (those use custody's AmountField)."""

from django import forms
from rest_framework import serializers

from config.decimal_text import is_plain_decimal

_NOT_PLAIN = "Use only the digits 0-9 and one decimal point."


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
