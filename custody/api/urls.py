from django.urls import path

from custody.api import views

urlpatterns = [
    path("wallet", views.WalletDetailApi.as_view(), name="wallet-detail"),
    path("wallet/entries", views.WalletEntryListApi.as_view(), name="wallet-entries"),
    path("wallet/deposits", views.WalletDepositListCreateApi.as_view(), name="wallet-deposits"),
    path(
        "wallet/withdrawals",
        views.WalletWithdrawalListCreateApi.as_view(),
        name="wallet-withdrawals",
    ),
]
