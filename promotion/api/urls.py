from django.urls import path

from promotion.api import views

urlpatterns = [
    path("me/marketing-consent", views.MarketingConsentApi.as_view(), name="me-marketing-consent"),
]
