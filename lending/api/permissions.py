"""API permissions by role: deny by default, allow the role that owns the endpoint."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from accounts.roles import CUSTOMER_ROLES
from accounts.services import ensure_customer
from lending.services.disbursements import MAKER_ROLES


def role_required(*roles: str) -> type[BasePermission]:
    """A permission class admitting authenticated users who hold any of `roles`. Customer
    roles (investor, borrower) also refuse staff, with 403 `staff_not_allowed` even when a
    staff account holds the role (accounts.services.ensure_customer)."""
    customer_only = all(r in {str(c) for c in CUSTOMER_ROLES} for r in roles)

    class HasRole(BasePermission):
        message = _("Your role does not allow this.")

        def has_permission(self, request, view) -> bool:
            user = request.user
            if not (user and user.is_authenticated):
                return False
            if customer_only:
                ensure_customer(user)
            return any(user.has_role(r) for r in roles)

    HasRole.__name__ = f"HasRole_{'_'.join(roles)}"
    return HasRole


IsBorrower = role_required("borrower")
IsInvestor = role_required("investor")
IsReviewer = role_required("reviewer")
IsApprover = role_required("approver")
IsDisbursementMaker = role_required(*MAKER_ROLES)
