"""Routes of the lending API (mounted under /api/v1/ in the `api` namespace)."""

from django.urls import path

from lending.api import portfolio, views, views_borrower

urlpatterns = [
    path("products", views.ProductListApi.as_view(), name="product-list"),
    path("applications", views.ApplicationListApi.as_view(), name="application-list"),
    path("applications/<int:pk>", views.ApplicationDetailApi.as_view(), name="application-detail"),
    path(
        "applications/<int:pk>/accept",
        views.ApplicationOfferAcceptApi.as_view(),
        name="application-accept",
    ),
    path(
        "applications/<int:pk>/decline",
        views.ApplicationOfferDeclineApi.as_view(),
        name="application-decline",
    ),
    path("loans", views.LoanListApi.as_view(), name="loan-list"),
    path("loans/<int:pk>", views.LoanDetailApi.as_view(), name="loan-detail"),
    path(
        "loans/<int:pk>/investments",
        views.LoanInvestmentCreateApi.as_view(),
        name="loan-investment-create",
    ),
    path("investments", views.InvestmentListApi.as_view(), name="investment-list"),
    path("portfolio", portfolio.PortfolioApi.as_view(), name="portfolio"),
    path(
        "portfolio/investments/<int:pk>",
        portfolio.PortfolioInvestmentApi.as_view(),
        name="portfolio-investment",
    ),
    path(
        "investments/<int:pk>/cancel",
        views.InvestmentCancelApi.as_view(),
        name="investment-cancel",
    ),
    path(
        "ops/loans/<int:pk>/disburse", views.OpsLoanDisburseApi.as_view(), name="ops-loan-disburse"
    ),
    path(
        "ops/loans/<int:pk>/disburse/approve",
        views.OpsLoanDisburseApproveApi.as_view(),
        name="ops-loan-disburse-approve",
    ),
    path("borrowings", views.BorrowingListApi.as_view(), name="borrowing-list"),
    path("borrowings/<int:pk>", views.BorrowingDetailApi.as_view(), name="borrowing-detail"),
    path(
        "borrowings/<int:pk>/schedule",
        views.BorrowingScheduleApi.as_view(),
        name="borrowing-schedule",
    ),
    path(
        "borrowings/<int:pk>/repayments",
        views.BorrowingRepaymentListApi.as_view(),
        name="borrowing-repayment-list",
    ),
    path(
        "borrowings/<int:pk>/hardship-requests",
        views.BorrowingHardshipRequestListApi.as_view(),
        name="borrowing-hardship-request-list",
    ),
    path(
        "borrowings/<int:pk>/authorisation",
        views_borrower.BorrowingAuthorisationApi.as_view(),
        name="borrowing-authorisation",
    ),
    path("auto-invest-rules", views.AutoInvestRuleListApi.as_view(), name="auto-invest-rule-list"),
    path(
        "auto-invest-rules/<int:pk>",
        views.AutoInvestRuleDetailApi.as_view(),
        name="auto-invest-rule-detail",
    ),
    path("ops/reviews", views.ReviewListApi.as_view(), name="ops-review-list"),
    path(
        "ops/reviews/<int:application_id>/decision",
        views.ReviewDecisionApi.as_view(),
        name="ops-review-decision",
    ),
    path("me/notifications", views.NotificationListApi.as_view(), name="me-notification-list"),
    path(
        "me/notifications/read-all",
        views.NotificationReadAllApi.as_view(),
        name="me-notification-read-all",
    ),
    path(
        "me/notifications/<int:pk>/read",
        views.NotificationReadApi.as_view(),
        name="me-notification-read",
    ),
]
