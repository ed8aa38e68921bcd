from django.urls import path

from accounts.api import views

urlpatterns = [
    path("me", views.MeApi.as_view(), name="me"),
    path("me/identity", views.MeIdentityApi.as_view(), name="me-identity"),
    path("me/roles", views.MeRolesApi.as_view(), name="me-roles"),
    path("me/investor-profile", views.MeInvestorProfileApi.as_view(), name="me-investor-profile"),
    path("me/enterprise", views.MeEnterpriseApi.as_view(), name="me-enterprise"),
    path("me/borrower-profile", views.MeBorrowerProfileApi.as_view(), name="me-borrower-profile"),
]
