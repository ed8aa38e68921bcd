from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/unlock/<str:token>/", views.login_unlock, name="login-unlock"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("onboarding/", views.onboarding, name="onboarding"),
    path("onboarding/identity/", views.onboarding_identity, name="onboarding-identity"),
    path("onboarding/roles/", views.onboarding_roles, name="onboarding-roles"),
    path("onboarding/investor/", views.onboarding_investor, name="onboarding-investor"),
    path(
        "onboarding/investor/preview/",
        views.onboarding_investor_preview,
        name="onboarding-investor-preview",
    ),
    path("onboarding/enterprise/", views.onboarding_enterprise, name="onboarding-enterprise"),
    path(
        "onboarding/enterprise/check-code/",
        views.onboarding_enterprise_check_code,
        name="onboarding-enterprise-check-code",
    ),
    path("onboarding/borrower/", views.onboarding_borrower, name="onboarding-borrower"),
    path("settings/", views.account_settings, name="settings"),
    path("language/", views.set_language, name="set-language"),
]
