"""Promotion API: the signed-in user's marketing consent and referrals."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import IsCustomer
from core.audit import AuditContext
from promotion import selectors
from promotion.api.serializers import ConsentSerializer, ReferralsSerializer
from promotion.models import ConsentSource, MarketingConsent
from promotion.services.consent import consent_set
from promotion.services.referrals import referral_code_get, referral_link


def _body(user) -> dict:
    consent = MarketingConsent.objects.filter(user=user).first()
    return ConsentSerializer(
        {
            "granted": bool(consent and consent.granted),
            "changed_at": consent.changed_at if consent else None,
        }
    ).data


class MarketingConsentApi(APIView):
    """GET the answer; PUT `{"granted": true|false}` to give or withdraw it (recorded)."""

    permission_classes = [IsCustomer]

    @extend_schema(responses=ConsentSerializer)
    def get(self, request):
        return Response(_body(request.user))

    @extend_schema(request=ConsentSerializer, responses=ConsentSerializer)
    def put(self, request):
        data = ConsentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        consent_set(
            user=request.user,
            granted=data.validated_data["granted"],
            source=ConsentSource.API,
            context=AuditContext.of(request),
        )
        return Response(_body(request.user))


class MyReferralsApi(APIView):
    """GET the user's referral code and link (made on first need once their identity is
    verified; null before), the programme's rules, and the friends they referred (masked)
    with each reward's status."""

    permission_classes = [IsCustomer]

    @extend_schema(responses=ReferralsSerializer)
    def get(self, request):
        verified = selectors.is_identity_verified(request.user)
        code = referral_code_get(request.user).code if verified else None
        body = {
            "identity_verified": verified,
            "code": code,
            "link": referral_link(code) if code else None,
            "earned_amount": selectors.referral_earned(request.user),
            "rules": selectors.referral_rules(),
            "referrals": selectors.referral_lines(request.user),
        }
        return Response(ReferralsSerializer(body).data)
