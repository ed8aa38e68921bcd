"""The home page's banner of recent major-event notices (templates/disclosure/
_notices_banner.html loads this): a tag, so only pages that show the banner query for it."""

from django import template

from disclosure.services.notices import banner_window, notices_on_home

register = template.Library()


@register.simple_tag
def home_notices() -> list:
    """The notices published within the banner window, newest first, each with the time it
    leaves the home page (`banner_until`)."""
    notices = notices_on_home()
    for notice in notices:
        notice.banner_until = notice.published_at + banner_window()
    return notices
