"""The regulator portal's API: the audit trail (filtered, paginated) and inspection requests
(list, raise, read). Regulators and compliance staff read; regulators raise."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from compliance import selectors_portal as selectors
from compliance.api import serializers_portal as s
from compliance.services.inspections import (
    ensure_portal_reader,
    ensure_regulator,
    inspection_raise,
)
from core.audit import AuditContext
from core.pagination import Pagination


class IsPortalReader(BasePermission):
    """Regulators and compliance staff; anyone else signed in gets 403 `role_required`
    before any work, anonymous callers 401."""

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        ensure_portal_reader(request.user)
        return True


class RegulatorAuditEventListApi(ListAPIView):
    """The audit trail, newest first, filtered by date range, action, actor and subject."""

    permission_classes = [IsPortalReader]
    serializer_class = s.AuditEventSerializer
    pagination_class = Pagination

    def get_queryset(self):
        # A plain dict: an empty `?action=` is refused, as the schema says, not ignored.
        filters = s.AuditFilterSerializer(data=self.request.query_params.dict())
        filters.is_valid(raise_exception=True)
        return selectors.audit_event_list(filters.filters())

    @extend_schema(parameters=[s.AuditFilterSerializer])
    def get(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


class RegulatorInspectionListApi(ListAPIView):
    """Every inspection request, open ones first by due date (GET); a regulator raises one
    (POST)."""

    permission_classes = [IsPortalReader]
    serializer_class = s.InspectionSerializer
    pagination_class = Pagination

    def get_queryset(self):
        return selectors.inspection_list()

    @extend_schema(request=s.InspectionInSerializer, responses={201: s.InspectionDetailSerializer})
    def post(self, request):
        ensure_regulator(request.user)  # compliance answers requests; it raises none
        data = s.InspectionInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        inspection = inspection_raise(
            regulator=request.user, **data.validated_data, context=AuditContext.of(request)
        )
        detail = selectors.inspection_get(inspection.pk)
        return Response(s.InspectionDetailSerializer(detail).data, status=status.HTTP_201_CREATED)


class RegulatorInspectionDetailApi(RetrieveAPIView):
    """One inspection request with its thread and the answer documents' download links."""

    permission_classes = [IsPortalReader]
    serializer_class = s.InspectionDetailSerializer

    def get_object(self):
        return selectors.inspection_get(self.kwargs["pk"])
