"""DRF authentication by allauth's X-Session-Token, answering 401 when it is missing."""

from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class SessionTokenAuthentication(XSessionTokenAuthentication):
    """The app API's credential. The WWW-Authenticate challenge makes DRF return 401
    (not 403) to anonymous callers, as HTTP intends."""

    def authenticate_header(self, request) -> str:
        return 'X-Session-Token realm="api"'


class SessionTokenScheme(OpenApiAuthenticationExtension):
    """Describe the X-Session-Token header in the OpenAPI schema."""

    target_class = "accounts.api.authentication.SessionTokenAuthentication"
    name = "sessionToken"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-Session-Token"}
