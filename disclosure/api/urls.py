"""Routes of the disclosure API (mounted under /api/v1/ in the `api` namespace)."""

from django.urls import path

from disclosure.api import notices

urlpatterns = [
    # --- Event notices, institution information (h-notices) ---
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
