"""Routes of the disclosure pages."""

from django.urls import path

from disclosure import views_notices, views_statistics

app_name = "disclosure"

urlpatterns = [
    # --- Platform statistics -------------------------------------------------------------
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
    # --- Event notices, institution information ------------------------------------------
    path("disclosure/notices/", views_notices.notice_list, name="notice-list"),
    path("disclosure/notices/<int:pk>/", views_notices.notice_detail, name="notice-detail"),
    path("disclosure/institution/", views_notices.institution, name="institution"),
    path(
        "disclosure/institution/documents/<int:pk>/",
        views_notices.institution_document,
        name="institution-document",
    ),
]
