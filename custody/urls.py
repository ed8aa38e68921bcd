from django.urls import path

from custody import views

app_name = "custody"

urlpatterns = [
    path("wallet/", views.wallet, name="wallet"),
    path("wallet/deposit", views.wallet_deposit, name="wallet-deposit"),
    path("wallet/withdraw", views.wallet_withdraw, name="wallet-withdraw"),
    path("wallet/history", views.wallet_history, name="wallet-history"),
    path("custody/callbacks/<slug:custodian>", views.custodian_callback, name="callback"),
]
