"""API permissions by role: deny by default, allow the role that owns the endpoint."""

from rest_framework.permissions import BasePermission

from lending.services.disbursements import MAKER_ROLES


def role_required(*roles: str) -> type[BasePermission]:
    """A permission class admitting authenticated users who hold any of `roles`."""

    class HasRole(BasePermission):
        message = "Your role does not allow this."

        def has_permission(self, request, view) -> bool:
            user = request.user
            return bool(user and user.is_authenticated and any(user.has_role(r) for r in roles))

    HasRole.__name__ = f"HasRole_{'_'.join(roles)}"
    return HasRole


IsBorrower = role_required("borrower")
IsInvestor = role_required("investor")
IsReviewer = role_required("reviewer")
IsApprover = role_required("approver")
IsDisbursementMaker = role_required(*MAKER_ROLES)
