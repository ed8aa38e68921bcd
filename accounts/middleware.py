"""Staff and regulators must enrol TOTP before they can do anything else."""

from allauth.mfa.models import Authenticator
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

# Paths a user without MFA may still reach: enrolment itself, logout, static files.
_ALLOWED_PREFIXES = (
    "/accounts/2fa/",
    "/accounts/logout/",
    "/_allauth/",
    "/static/",
    "/healthz",
)


def has_totp(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class StaffMfaRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(_ALLOWED_PREFIXES)
            and user.requires_mfa
            and not has_totp(user)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "code": "mfa_required",
                        "message": "Enrol an authenticator app before using staff functions.",
                    },
                    status=403,
                )
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
