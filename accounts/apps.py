from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from core.labels import translate_default_labels


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and onboarding")

    def ready(self) -> None:
        # The admin shows the labels Django derives for fields and models translated.
        translate_default_labels(self)

        from allauth.account.signals import user_signed_up
        from django.contrib.auth.signals import user_logged_in

        from accounts.devices import record_logged_in, record_signed_up
        from accounts.language import remember_signup_language
        from accounts.roles import roles_sync

        # Groups and their permissions follow the table in accounts.roles after every
        # migrate, the way Django itself creates permissions.
        post_migrate.connect(roles_sync, dispatch_uid="accounts.roles_sync")
        user_signed_up.connect(remember_signup_language, dispatch_uid="accounts.signup_language")
        # The browser of every signup and sign-in (the referral anti-abuse check).
        user_signed_up.connect(record_signed_up, dispatch_uid="accounts.device_signed_up")
        user_logged_in.connect(record_logged_in, dispatch_uid="accounts.device_logged_in")
