"""django-allauth adapter: email-only accounts, audit of sign-ups and failed logins."""

from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return True
