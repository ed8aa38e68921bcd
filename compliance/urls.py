from django.urls import path

from compliance import filings_views, views

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
    path("regulator/filings/", filings_views.filing_list, name="filing_list"),
    path(
        "regulator/filings/<int:pk>/download/",
        filings_views.filing_download,
        name="filing_download",
    ),
    path("regulator/filings/file/<str:token>/", filings_views.filing_file, name="filing_file"),
]
