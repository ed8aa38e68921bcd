"""Filings API for regulators and compliance officers: the list, and a download link.

`GET /api/v1/filings/{id}/download` answers JSON with a signed URL valid for a few minutes
and only for the caller; fetching that URL (`GET /api/v1/filings/files/{token}`, with the
caller's own credentials) returns the file, and writes an audit event."""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance.filings_selectors import filing_list
from compliance.filings_views import filing_response
from compliance.models import Filing
from compliance.services.filings import (
    FILING_READER_ROLES,
    filing_link_open,
    filing_link_sign,
)
from core.audit import AuditContext
from core.pagination import Pagination
from lending.api.permissions import role_required

IsFilingReader = role_required(*FILING_READER_ROLES)


class FilingSerializer(serializers.ModelSerializer):
    download = serializers.SerializerMethodField()

    class Meta:
        model = Filing
        fields = [
            "id",
            "kind",
            "period",
            "period_start",
            "period_end",
            "format",
            "version",
            "schema_version",
            "row_count",
            "size",
            "sha256",
            "generated_at",
            "download",
        ]

    def get_download(self, obj) -> str:
        """Where to ask for a signed download link."""
        return reverse("api:filing-download", kwargs={"pk": obj.pk})


class FilingQuerySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Filing.Kind.choices, required=False)
    format = serializers.ChoiceField(choices=Filing.Format.choices, required=False)
    period_from = serializers.DateField(required=False)
    period_to = serializers.DateField(required=False)

    def validate(self, attrs):
        start, end = attrs.get("period_from"), attrs.get("period_to")
        if start and end and start > end:
            raise serializers.ValidationError(
                {"period_to": _("The period range ends before it starts.")},
                code="period_range_invalid",
            )
        return attrs


class FilingLinkSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="GET it with your own credentials, before it expires.")
    expires_at = serializers.DateTimeField()
    filename = serializers.CharField()
    sha256 = serializers.CharField()


class FilingListApi(ListAPIView):
    """Regulatory filings, newest period first, every version; filter by kind, format and a
    period range (dates, inclusive)."""

    permission_classes = [IsFilingReader]
    serializer_class = FilingSerializer
    pagination_class = Pagination

    @extend_schema(parameters=[FilingQuerySerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = FilingQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        return filing_list(
            kind=data.get("kind"),
            fmt=data.get("format"),
            period_from=data.get("period_from"),
            period_to=data.get("period_to"),
        )


class FilingDownloadApi(APIView):
    """A signed download URL for one filing: valid FILINGS_LINK_MAX_AGE_SECONDS (5 minutes
    by default) and only for the caller. The answer is JSON, not a redirect."""

    permission_classes = [IsFilingReader]

    @extend_schema(responses={200: FilingLinkSerializer})
    def get(self, request, pk: int):
        filing = get_object_or_404(Filing, pk=pk)
        link = filing_link_sign(filing=filing, user=request.user)
        url = request.build_absolute_uri(reverse("api:filing-file", kwargs={"token": link.token}))
        return Response(
            FilingLinkSerializer(
                {
                    "url": url,
                    "expires_at": link.expires_at,
                    "filename": filing.file_name,
                    "sha256": filing.sha256,
                }
            ).data
        )


class FilingFileApi(APIView):
    """The file behind a signed link (CSV, XLSX or JSON lines), for the user the link was
    made for while it is fresh; someone else's link is 404, an expired one 403
    `filing_link_expired`. Each download is audited."""

    permission_classes = [IsFilingReader]

    @extend_schema(
        parameters=[OpenApiParameter("token", OpenApiTypes.STR, OpenApiParameter.PATH)],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY),
        },
    )
    def get(self, request, token: str):
        filing = filing_link_open(token=token, user=request.user, context=AuditContext.of(request))
        return filing_response(filing)
