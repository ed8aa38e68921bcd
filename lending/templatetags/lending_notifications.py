"""The navigation's unread-notifications badge."""

from django import template

from lending.selectors import notification_unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def notifications_unread(context) -> int:
    """Unread notifications of the signed-in user: the count the page already made
    (`notifications_unread` in its context), or one indexed COUNT."""
    if "notifications_unread" in context:
        return context["notifications_unread"]
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    # The header shows the badge twice (the row of links and the phone's menu): count once.
    if not hasattr(request, "_notifications_unread"):
        request._notifications_unread = notification_unread_count(user)
    return request._notifications_unread
