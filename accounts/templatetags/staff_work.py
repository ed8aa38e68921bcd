"""The staff member's work list for templates that no view of ours renders (the admin index)."""

from django import template

from accounts.staff_work import staff_work

register = template.Library()


@register.simple_tag
def staff_work_of(user):
    return staff_work(user) if user.is_authenticated and user.is_platform_staff else []
