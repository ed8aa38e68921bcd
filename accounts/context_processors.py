"""Navigation for the base layout: the links each of the signed-in user's roles opens."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role

# (label, candidate URL names) per role. Sections of other apps appear once their URLs
# exist, so the menu never links to a page that is not there.
ROLE_LINKS = {
    Role.INVESTOR: [
        (_("Marketplace"), ("lending:marketplace", "lending:loan-list")),
        (_("Portfolio"), ("lending:portfolio",)),
        (_("Auto-invest"), ("lending:auto-invest", "lending:auto-invest-rules")),
    ],
    Role.BORROWER: [
        (_("Apply"), ("lending:apply", "lending:application-create")),
        (_("My loans"), ("lending:borrowings", "lending:borrowing-list", "lending:my-loans")),
    ],
    "customer": [
        (_("Wallet"), ("custody:wallet", "custody:wallet-detail")),
    ],
}


def _first_url(names) -> str | None:
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None


def _links(role) -> list[dict]:
    links = []
    for label, names in ROLE_LINKS[role]:
        url = _first_url(names)
        if url:
            links.append({"label": label, "url": url, "name": names[0]})
    return links


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_roles": frozenset()}
    roles = frozenset(user.role_names)
    if user.is_platform_staff:
        # Staff never use the customer pages (accounts.services.ensure_customer), so the
        # menu offers none of them, even to an account that also holds a customer role.
        roles -= {Role.INVESTOR.value, Role.BORROWER.value}
    links = []
    if Role.INVESTOR in roles:
        links += _links(Role.INVESTOR)
    if Role.BORROWER in roles:
        links += _links(Role.BORROWER)
    if roles & {Role.INVESTOR, Role.BORROWER}:
        links += _links("customer")
    if Role.REGULATOR in roles:
        # A regulator has no operations console: the portal and the public marketplace are
        # what they read.
        portal = _first_url(("compliance:portal",))
        if portal:
            links.append(
                {"label": _("Regulator portal"), "url": portal, "name": "compliance:portal"}
            )
        links += [link for link in _links(Role.INVESTOR) if link["name"] == "lending:marketplace"]
    return {
        "nav_roles": roles,
        "nav_is_staff": user.is_platform_staff,
        # Only accounts the admin admits get its link (a regulator would meet a refusal).
        "nav_has_admin": user.is_staff or user.is_superuser,
        "nav_links": links,
    }
