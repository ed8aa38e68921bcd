"""The platform statistics API: the latest published snapshot, or a period's, to anyone."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from disclosure import selectors
from disclosure.api.serializers import StatisticsSnapshotSerializer
from disclosure.services.statistics_errors import StatisticsNotFound


class StatisticsLatestApi(APIView):
    """The latest published platform statistics (a day's, or a month's report if newer)."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="disclosure_statistics_latest",
        responses={200: StatisticsSnapshotSerializer},
    )
    def get(self, request):
        snapshot = selectors.statistics_latest()
        if snapshot is None:
            raise StatisticsNotFound()
        return Response(StatisticsSnapshotSerializer(snapshot).data)


class StatisticsPeriodApi(APIView):
    """A period's published statistics: `YYYY-MM` for the monthly report, `YYYY-MM-DD` for a
    day. A malformed period is 400 `invalid_period`; none published, 404."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="disclosure_statistics_period",
        parameters=[
            OpenApiParameter(
                "period",
                str,
                OpenApiParameter.PATH,
                pattern=r"^\d{4}-\d{2}(-\d{2})?$",
                description="YYYY-MM or YYYY-MM-DD",
            )
        ],
        responses={200: StatisticsSnapshotSerializer},
    )
    def get(self, request, period: str):
        return Response(StatisticsSnapshotSerializer(selectors.statistics_for_period(period)).data)
