"""Promotion API: the signed-in user's marketing consent."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import IsCustomer
from core.audit import AuditContext
from promotion.api.serializers import ConsentSerializer
from promotion.models import ConsentSource, MarketingConsent
from promotion.services.consent import consent_set


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
