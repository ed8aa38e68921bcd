"""Serializers of the wallet API: amounts travel as strings and are parsed strictly."""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core import money
from core.decimal_text import decimal_pattern
from core.fields import JsonTypedInput
from core.serializers import KnownFieldsSerializer
from custody.models import Deposit, LedgerAccount, Posting, Withdrawal


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
                "Send the amount without white space around it.", code="amount_invalid"
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


class WalletSerializer(serializers.Serializer):
    available = serializers.DecimalField(max_digits=20, decimal_places=2)
    reserved = serializers.DecimalField(max_digits=20, decimal_places=2)
    total = serializers.DecimalField(max_digits=20, decimal_places=2)
    currency = serializers.CharField()


class PostingSerializer(serializers.ModelSerializer):
    account = serializers.CharField(source="account.kind")
    kind = serializers.CharField(source="entry.kind")
    memo = serializers.CharField(source="entry.memo")
    entry_id = serializers.IntegerField()

    class Meta:
        model = Posting
        fields = ["id", "entry_id", "created_at", "account", "kind", "memo", "amount", "currency"]


class PostingFilterSerializer(serializers.Serializer):
    account = serializers.ChoiceField(choices=LedgerAccount.USER_KINDS, required=False)
    # \Z, not $ (which also matches before a final newline), and untrimmed: the kind is
    # exactly the pattern the schema states.
    kind = serializers.RegexField(r"^[a-z_]{1,32}\Z", required=False, trim_whitespace=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    export = serializers.ChoiceField(choices=["csv"], required=False)

    def validate(self, attrs):
        start, end = attrs.get("date_from"), attrs.get("date_to")
        if start and end and start > end:
            raise serializers.ValidationError(
                {"date_to": [serializers.ErrorDetail("On or after date_from.", code="date_range")]}
            )
        return attrs


@extend_schema_field({"type": "string", "description": "pending, succeeded or failed"})
class MovementStatusField(serializers.CharField):
    """The movement's status. Not an enum in the schema: another app's `status` enum would
    collide with it (drf-spectacular W001) unless settings name both."""


class MovementSerializer(serializers.ModelSerializer):
    status = MovementStatusField(read_only=True)

    class Meta:
        fields = [
            "id",
            "reference",
            "status",
            "amount",
            "currency",
            "created_at",
            "completed_at",
            "failure_reason",
        ]


class DepositSerializer(MovementSerializer):
    class Meta(MovementSerializer.Meta):
        model = Deposit


class WithdrawalSerializer(MovementSerializer):
    class Meta(MovementSerializer.Meta):
        model = Withdrawal


class DepositCreateSerializer(JsonTypedInput, KnownFieldsSerializer):
    amount = AmountField()


class WithdrawalCreateSerializer(JsonTypedInput, KnownFieldsSerializer):
    amount = AmountField()
    # The transfer authorisation the custodian asks for (the sandbox: the user's password).
    password = serializers.CharField(max_length=256, trim_whitespace=False)
