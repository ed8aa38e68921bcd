"""Routes of the disclosure API (mounted under /api/v1/ in the `api` namespace)."""

from django.urls import path

from disclosure.api import notices, views

urlpatterns = [
    # --- Platform statistics ---
    path(
        "disclosure/statistics",
        views.StatisticsLatestApi.as_view(),
        name="disclosure-statistics-latest",
    ),
    path(
        "disclosure/statistics/<str:period>",
        views.StatisticsPeriodApi.as_view(),
        name="disclosure-statistics-period",
    ),
    # --- Event notices, institution information ---
    path("disclosure/notices", notices.NoticeListApi.as_view(), name="disclosure-notice-list"),
    path(
        "disclosure/notices/<int:pk>",
        notices.NoticeDetailApi.as_view(),
        name="disclosure-notice-detail",
    ),
    path(
        "loans/<int:pk>/disclosure",
        notices.LoanHolderDisclosureApi.as_view(),
        name="loan-holder-disclosure",
    ),
]
