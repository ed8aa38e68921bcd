"""Staff and regulators must enrol TOTP before they can do anything else."""

from django.conf import settings
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation

from accounts.devices import device_id_new, device_id_valid
from accounts.errors import MfaRequired
from accounts.language import supported
from accounts.selectors import has_totp

# Paths a user without MFA may still reach: enrolment itself (and the re-authentication
# allauth asks for before enrolment), logout, the headless API that apps enrol through,
# static files and the health check. Anything else would redirect back here in a loop.
_ALLOWED_PREFIXES = (
    "/accounts/2fa/",
    "/accounts/reauthenticate/",
    "/accounts/logout/",
    "/_allauth/",
    "/static/",
    "/healthz",
)


def lacks_required_mfa(user) -> bool:
    """True for a signed-in staff member or regulator who has not enrolled TOTP yet."""
    return bool(user and user.is_authenticated and user.requires_mfa and not has_totp(user))


def mfa_required_response() -> JsonResponse:
    return JsonResponse({"code": MfaRequired.code, "message": MfaRequired.message}, status=403)


class StaffMfaRequiredMiddleware:
    """Refuse session-authenticated staff without TOTP: 403 `mfa_required` on the API, a
    redirect to enrolment on pages. Token-authenticated API calls are checked by
    `accounts.api.authentication.SessionTokenAuthentication`, which DRF runs later."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if not request.path.startswith(_ALLOWED_PREFIXES) and lacks_required_mfa(user):
            if request.path.startswith("/api/"):
                return mfa_required_response()
            messages.info(
                request,
                "Your role requires two-factor authentication. Set up an authenticator app "
                "to continue.",
                fail_silently=True,
            )
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)


class UserLanguageMiddleware:
    """A signed-in user sees the language they chose, on any device: it overrides what
    LocaleMiddleware found (cookie, Accept-Language), and the response sets the language
    cookie to it, so the choice holds after they sign out too. Runs after
    AuthenticationMiddleware; users who never chose keep LocaleMiddleware's answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        chosen = supported(user.language) if user and user.is_authenticated else None
        if chosen and chosen != translation.get_language():
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        response = self.get_response(request)
        # The set-language view has just written the cookie itself.
        cookie = settings.LANGUAGE_COOKIE_NAME
        if chosen and request.COOKIES.get(cookie) != chosen and cookie not in response.cookies:
            response.set_cookie(
                cookie,
                chosen,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response


class DeviceCookieMiddleware:
    """Give each browser a long-lived random device cookie (accounts.devices) if it has
    none, and put its value on `request.device_id` before the view runs, so a sign-up or
    sign-in on the browser's very first request records the id the response hands out.

    Not for allauth's app client (/_allauth/app/: a native app keeps a session token, not
    cookies), and never on a response a shared cache may keep: a cached Set-Cookie would
    give one id to every browser served from the cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = settings.DEVICE_COOKIE_NAME
        issue = not device_id_valid(request.COOKIES.get(name)) and not request.path.startswith(
            "/_allauth/app/"
        )
        request.device_id = device_id_new() if issue else request.COOKIES.get(name)
        response = self.get_response(request)
        if issue and "public" not in response.get("Cache-Control", ""):
            response.set_cookie(
                name,
                request.device_id,
                max_age=settings.DEVICE_COOKIE_AGE,
                path="/",
                domain=settings.SESSION_COOKIE_DOMAIN,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
