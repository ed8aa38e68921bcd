"""The complaint statistics the public disclosure page shows (issue 15: complaints feed
disclosure). A template tag, so the disclosure app's page includes them without disclosure
importing compliance, which sits above it."""

from django import template

from compliance.models import Complaint
from compliance.selectors import complaint_statistics

register = template.Library()


@register.inclusion_tag("compliance/_complaint_statistics.html")
def complaint_statistics_block() -> dict:
    stats = complaint_statistics()
    labels = dict(Complaint.Category.choices)
    return {
        "stats": stats,
        "categories": [(labels.get(key, key), n) for key, n in stats["by_category"].items()],
    }
