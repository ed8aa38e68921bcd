from django.urls import path

from compliance import filings_views, views, views_portal

app_name = "compliance"

urlpatterns = [
    path("account/data/", views.personal_data, name="personal-data"),
    path("account/data/download/", views.personal_data_download, name="personal-data-download"),
    path("support/complaints/", views.complaint_list, name="complaint-list"),
    path("support/complaints/new/", views.complaint_create, name="complaint-create"),
    path("support/complaints/<int:pk>/", views.complaint_detail, name="complaint-detail"),
    path(
        "support/complaints/<int:pk>/close/",
        views.complaint_close_view,
        name="complaint-close",
    ),
    path(
        "support/complaints/<int:pk>/attachments/<int:attachment_id>/",
        views.complaint_attachment,
        name="complaint-attachment",
    ),
    # The regulator portal.
    path("regulator/", views_portal.portal_home, name="portal"),
    path("regulator/audit/", views_portal.audit_list, name="audit-list"),
    path("regulator/audit/export.csv", views_portal.audit_export, name="audit-export"),
    path("regulator/inspections/", views_portal.inspection_list, name="inspection-list"),
    path("regulator/inspections/new/", views_portal.inspection_create, name="inspection-create"),
    path(
        "regulator/inspections/<int:pk>/",
        views_portal.inspection_detail,
        name="inspection-detail",
    ),
    path(
        "regulator/inspections/<int:pk>/close/",
        views_portal.inspection_close_view,
        name="inspection-close",
    ),
    path(
        "regulator/inspections/<int:pk>/reopen/",
        views_portal.inspection_reopen_view,
        name="inspection-reopen",
    ),
    path(
        "regulator/inspections/<int:pk>/documents/<int:document_id>/",
        views_portal.inspection_document,
        name="inspection-document",
    ),
    path("regulator/filings/", filings_views.filing_list, name="filing-list"),
    path(
        "regulator/filings/<int:pk>/download/",
        filings_views.filing_download,
        name="filing-download",
    ),
    path("regulator/filings/file/<str:token>/", filings_views.filing_file, name="filing-file"),
]
