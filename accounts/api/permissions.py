"""API permissions of customer paths: deny anonymous callers, refuse staff with a code."""

from rest_framework.permissions import BasePermission

from accounts.services import ensure_customer


class IsCustomer(BasePermission):
    """Signed-in people who do not run the platform. Staff get 403 `staff_not_allowed`
    (accounts.services.ensure_customer) before validation or any other work; anonymous
    callers the usual 401."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        ensure_customer(user)
        return True
