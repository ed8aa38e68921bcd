"""The response given to a locked-out (username, IP) pair: JSON on API paths, a page elsewhere."""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render


def lockout_response(request, credentials=None, *args, **kwargs):
    cooloff_minutes = int(float(settings.AXES_COOLOFF_TIME) * 60)
    message = (
        "Too many failed sign-in attempts. Try again in "
        f"{cooloff_minutes} minutes or reset your password."
    )
    if request.path.startswith(("/api/", "/_allauth/")):
        return JsonResponse({"code": "account_locked", "message": message}, status=429)
    return render(request, "account/lockout.html", {"message": message}, status=429)
