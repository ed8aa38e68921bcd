"""Disclosure pages."""

from django.urls import path

from disclosure import views_notices

app_name = "disclosure"

urlpatterns = [
    # --- Event notices, institution information (h-notices) ---
    path("disclosure/notices/", views_notices.notice_list, name="notice-list"),
    path("disclosure/notices/<int:pk>/", views_notices.notice_detail, name="notice-detail"),
    path("disclosure/institution/", views_notices.institution, name="institution"),
    path(
        "disclosure/institution/documents/<int:pk>/",
        views_notices.institution_document,
        name="institution-document",
    ),
]
