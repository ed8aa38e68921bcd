"""The borrower's open loan offer, for pages outside lending (the dashboard) to point to."""

from django import template

from lending.selectors import application_open_offer

register = template.Library()


@register.simple_tag
def open_offer(user):
    """The user's approved application whose offer waits for an answer, or None (one
    indexed query, and none for a user who is not a borrower)."""
    if not getattr(user, "is_authenticated", False) or not user.has_role("borrower"):
        return None
    return application_open_offer(user)
