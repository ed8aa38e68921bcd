"""DRF authentication by allauth's X-Session-Token, answering 401 when it is missing."""

from importlib import import_module

from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication
from allauth.headless.tokens.strategies.sessions import SessionTokenStrategy
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.exceptions import NotAuthenticated

from accounts.errors import MfaRequired
from accounts.middleware import lacks_required_mfa


class OneQuerySessionTokenStrategy(SessionTokenStrategy):
    """allauth's session tokens, looked up in one query instead of two: its strategy asks
    whether the session exists and then loads it, on every API request."""

    def lookup_session(self, session_token: str):
        session = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_token)
        # Loading a missing, expired or malformed session clears its key.
        session.get(SESSION_KEY)
        return session if session.session_key else None


class SessionTokenAuthentication(XSessionTokenAuthentication):
    """The app API's credential. The WWW-Authenticate challenge makes DRF return 401
    (not 403) to anonymous callers, as HTTP intends.

    Staff and regulators without TOTP are refused here with 403 `mfa_required`: the
    session middleware cannot see token-authenticated users, so this is the API's gate.

    A token that is sent but names no live session is 401 `not_authenticated` on every
    endpoint, public ones included: served as anonymous instead, an app would never learn
    that its user was signed out.
    """

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None and self.get_session_token(request):
            raise NotAuthenticated(_("The session token is invalid or has expired: sign in again."))
        if result is not None and lacks_required_mfa(result[0]):
            raise MfaRequired()
        return result

    def authenticate_header(self, request) -> str:
        return 'X-Session-Token realm="api"'


class SessionTokenScheme(OpenApiAuthenticationExtension):
    """Describe the X-Session-Token header in the OpenAPI schema."""

    target_class = "accounts.api.authentication.SessionTokenAuthentication"
    name = "sessionToken"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-Session-Token"}
