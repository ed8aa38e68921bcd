"""Routes of the disclosure pages."""

from django.urls import path

from disclosure import views_statistics

app_name = "disclosure"

urlpatterns = []

# --- Platform statistics (issue 15) -----------------------------------------------------------
urlpatterns += [
    path("disclosure/", views_statistics.statistics_home, name="statistics"),
    path(
        "disclosure/statistics/<str:period>/",
        views_statistics.statistics_period,
        name="statistics-period",
    ),
    path(
        "disclosure/statistics/<str:period>/<str:figure>/loans",
        views_statistics.statistics_figure_loans,
        name="statistics-figure-loans",
    ),
]
