"""Navigation for the base layout: which sections the signed-in user's roles open."""

from accounts.roles import Role


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_roles": frozenset()}
    return {"nav_roles": frozenset(user.role_names), "nav_is_staff": user.is_platform_staff}


__all__ = ["Role", "navigation"]
