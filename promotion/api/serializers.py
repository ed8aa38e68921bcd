from rest_framework import serializers

from core.fields import JsonTypedInput
from core.serializers import KnownFieldsSerializer


class ConsentSerializer(JsonTypedInput, KnownFieldsSerializer):
    """The user's marketing consent: `granted` true or false, JSON booleans only (no answer
    yet reads false)."""

    granted = serializers.BooleanField()
    changed_at = serializers.DateTimeField(read_only=True, allow_null=True)


# --- Referrals ---------------------------------------------------------------------------


class ReferralRulesSerializer(serializers.Serializer):
    """The programme's terms: the reward, the minimum first investment and the window after
    signup it must fall in, and how many rewards one referrer may earn."""

    reward_amount = serializers.DecimalField(max_digits=20, decimal_places=2)
    min_investment = serializers.DecimalField(max_digits=20, decimal_places=2)
    window_days = serializers.IntegerField()
    cap_per_referrer = serializers.IntegerField()
    currency = serializers.CharField()


class ReferredFriendSerializer(serializers.Serializer):
    """One person the user referred, masked. `status`: pending, rewarded or refused;
    `reason`: why a refused one was refused (machine code); `hold`: why a qualified one
    still waits (`monthly_budget`) or empty."""

    id = serializers.IntegerField()
    friend = serializers.CharField()
    signed_up_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=["pending", "rewarded", "refused"])
    reason = serializers.CharField(allow_blank=True)
    reason_label = serializers.CharField(allow_blank=True)
    hold = serializers.CharField(allow_blank=True)
    reward_amount = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)
    currency = serializers.CharField(allow_blank=True)
    rewarded_on = serializers.DateField(allow_null=True)


class ReferralsSerializer(serializers.Serializer):
    """The user's referral code and link (null until their identity is verified), what they
    earned, the rules, and the friends they referred."""

    identity_verified = serializers.BooleanField()
    code = serializers.CharField(allow_null=True)
    link = serializers.CharField(allow_null=True)
    earned_amount = serializers.DecimalField(max_digits=20, decimal_places=2)
    rules = ReferralRulesSerializer()
    referrals = ReferredFriendSerializer(many=True)
