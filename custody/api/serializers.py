"""Serializers of the wallet API: amounts travel as strings and are parsed strictly."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.fields import AmountField, JsonTypedInput
from core.serializers import KnownFieldsSerializer
from custody.models import Deposit, LedgerAccount, Posting, Withdrawal
from custody.selectors import movement_description


class WalletSerializer(serializers.Serializer):
    available = serializers.DecimalField(max_digits=20, decimal_places=2)
    reserved = serializers.DecimalField(max_digits=20, decimal_places=2)
    total = serializers.DecimalField(max_digits=20, decimal_places=2)
    currency = serializers.CharField()
    custodian_total = serializers.DecimalField(
        max_digits=20,
        decimal_places=2,
        allow_null=True,
        help_text="What the custodian bank reports for the user's own sub-account; null "
        "before the first deposit opens it, or when the bank did not answer.",
    )
    custodian_differs = serializers.BooleanField(
        help_text="The bank's figure is not the ledger's total. While a deposit or "
        "withdrawal is on its way (movements_in_flight) that is expected; otherwise "
        "operations are alerted and look into it."
    )
    movements_in_flight = serializers.IntegerField(
        help_text="Deposits and withdrawals not yet confirmed by the bank (counted when the "
        "figures differ, else 0)."
    )
    reconciled_at = serializers.DateTimeField(
        allow_null=True, help_text="When the platform last reconciled with the bank."
    )


class PostingSerializer(serializers.ModelSerializer):
    account = serializers.CharField(source="account.kind")
    kind = serializers.CharField(source="entry.kind")
    memo = serializers.CharField(source="entry.memo")
    entry_id = serializers.IntegerField()
    description = serializers.SerializerMethodField(
        help_text="The movement this posting is a leg of, in words (the wallet page's line): "
        'e.g. "Reserved for LN2026000001" on both legs of a reservation. Postings sharing an '
        "entry_id are one movement."
    )

    class Meta:
        model = Posting
        fields = [
            "id",
            "entry_id",
            "created_at",
            "account",
            "kind",
            "memo",
            "description",
            "amount",
            "currency",
        ]

    def get_description(self, obj) -> str:
        return movement_description(obj.entry.kind, obj.entry.memo, obj.amount)


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
