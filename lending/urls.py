"""Routes of the lending pages."""

from django.urls import path

from lending import portfolio_views, views, views_borrower

app_name = "lending"

urlpatterns = [
    path("borrow/apply/", views.application_create, name="application-create"),
    path("borrow/apply/preview/", views.application_preview, name="application-preview"),
    path("borrow/applications/", views.application_list, name="application-list"),
    path("borrow/applications/<int:pk>/offer/", views.application_offer, name="application-offer"),
    path(
        "borrow/applications/<int:pk>/offer/accept/",
        views.application_offer_accept,
        name="application-offer-accept",
    ),
    path(
        "borrow/applications/<int:pk>/offer/decline/",
        views.application_offer_decline,
        name="application-offer-decline",
    ),
    path("borrow/loans/", views_borrower.borrowing_list, name="borrowing-list"),
    path("borrow/loans/<int:pk>/", views_borrower.borrowing_detail, name="borrowing-detail"),
    path("borrow/loans/<int:pk>/repay/", views_borrower.borrowing_repay, name="borrowing-repay"),
    path(
        "borrow/loans/<int:pk>/authorisation/",
        views_borrower.borrowing_authorisation,
        name="borrowing-authorisation",
    ),
    path("borrow/loans/<int:pk>/hardship/", views.borrowing_hardship, name="borrowing-hardship"),
    path("loans/<int:pk>/agreement.pdf", views.loan_agreement, name="loan-agreement"),
    path("marketplace/", views.loan_list, name="loan-list"),
    path("marketplace/<int:pk>/", views.loan_detail, name="loan-detail"),
    path("marketplace/<int:pk>/invest/", views.loan_invest, name="loan-invest"),
    path("invest/portfolio/", views.investment_list, name="investment-list"),
    path(
        "invest/portfolio/investments/<int:pk>/",
        portfolio_views.investment_cash_flows,
        name="investment-cash-flows",
    ),
    path(
        "invest/portfolio/statements/<int:year>.csv",
        portfolio_views.statement_csv_download,
        name="statement-csv",
    ),
    path(
        "invest/portfolio/statements/<int:year>.pdf",
        portfolio_views.statement_pdf_download,
        name="statement-pdf",
    ),
    path(
        "invest/investments/<int:pk>/cancel/",
        views.investment_cancel_view,
        name="investment-cancel",
    ),
    path("invest/auto/", views.auto_invest_rule_list, name="auto-invest-rule-list"),
    path("invest/auto/<int:pk>/edit/", views.auto_invest_rule_edit, name="auto-invest-rule-edit"),
    path(
        "invest/auto/<int:pk>/pause/", views.auto_invest_rule_pause, name="auto-invest-rule-pause"
    ),
    path(
        "invest/auto/<int:pk>/resume/",
        views.auto_invest_rule_resume,
        name="auto-invest-rule-resume",
    ),
    path(
        "invest/auto/<int:pk>/delete/",
        views.auto_invest_rule_delete_view,
        name="auto-invest-rule-delete",
    ),
    path("notifications/", views.notification_list, name="notification-list"),
    path("notifications/read-all/", views.notification_read_all, name="notification-read-all"),
]
