from django.urls import path

from compliance.api import filings, views, views_portal

urlpatterns = [
    path("me/data", views.PersonalDataApi.as_view(), name="me-data"),
    path("complaints", views.ComplaintListApi.as_view(), name="complaint-list"),
    path("complaints/<int:pk>", views.ComplaintDetailApi.as_view(), name="complaint-detail"),
    path(
        "complaints/<int:pk>/messages",
        views.ComplaintMessageCreateApi.as_view(),
        name="complaint-message-create",
    ),
    path("complaints/<int:pk>/close", views.ComplaintCloseApi.as_view(), name="complaint-close"),
    path("complaints/<int:pk>/reopen", views.ComplaintReopenApi.as_view(), name="complaint-reopen"),
    path(
        "regulator/audit-events",
        views_portal.RegulatorAuditEventListApi.as_view(),
        name="regulator-audit-events",
    ),
    path(
        "regulator/inspections",
        views_portal.RegulatorInspectionListApi.as_view(),
        name="regulator-inspection-list",
    ),
    path(
        "regulator/inspections/<int:pk>",
        views_portal.RegulatorInspectionDetailApi.as_view(),
        name="regulator-inspection-detail",
    ),
    path("filings", filings.FilingListApi.as_view(), name="filing-list"),
    path("filings/<int:pk>/download", filings.FilingDownloadApi.as_view(), name="filing-download"),
    path("filings/files/<str:token>", filings.FilingFileApi.as_view(), name="filing-file"),
]
