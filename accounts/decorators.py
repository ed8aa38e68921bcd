"""Page decorators of customer paths: sign-in required, staff refused with a code."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.errors import StaffNotAllowed
from accounts.services import ensure_customer


def customer_required(view):
    """Send anonymous visitors to sign in; answer staff the 403 page with the code
    `staff_not_allowed` (accounts.services.ensure_customer) before the view does any work."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        try:
            ensure_customer(request.user)
        except StaffNotAllowed as exc:
            return render(request, "403.html", {"error": exc}, status=exc.status_code)
        return view(request, *args, **kwargs)

    return wrapped
