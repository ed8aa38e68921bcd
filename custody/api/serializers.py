"""Serializers of the wallet API: amounts travel as strings and are parsed strictly."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.serializers import KnownFieldsSerializer
from custody import money
from custody.models import Deposit, LedgerAccount, Posting, Withdrawal


@extend_schema_field(
    {"type": "string", "format": "decimal", "pattern": r"^\d+(\.\d{1,2})?$", "example": "100.00"}
)
class AmountField(serializers.Field):
    """A positive amount sent as a decimal string; floats, exponents and the like refused.
    `allow_zero` admits zero (a floor such as cash to keep, not a movement)."""

    def __init__(self, *, allow_zero: bool = False, **kwargs):
        self.allow_zero = allow_zero
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        try:
            return money.parse_amount(data, allow_zero=self.allow_zero)
        except money.AmountError as exc:
            raise serializers.ValidationError(str(exc), code=exc.code) from None

    def to_representation(self, value):
        return f"{value:.2f}"


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
    kind = serializers.RegexField(r"^[a-z_]{1,32}$", required=False)
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


class DepositCreateSerializer(KnownFieldsSerializer):
    amount = AmountField()


class WithdrawalCreateSerializer(KnownFieldsSerializer):
    amount = AmountField()
    # The transfer authorisation the custodian asks for (the sandbox: the user's password).
    password = serializers.CharField(max_length=256, trim_whitespace=False)
