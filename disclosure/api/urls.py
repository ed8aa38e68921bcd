"""Routes of the disclosure API (mounted under /api/v1/ in the `api` namespace)."""

from django.urls import path

from disclosure.api import views

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
]
