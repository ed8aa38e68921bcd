from django.urls import path

from promotion import views

app_name = "promotion"

urlpatterns = [
    path("account/marketing/", views.marketing_consent, name="marketing-consent"),
]
