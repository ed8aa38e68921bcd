"""The home page's headline figures from the latest published statistics
(templates/disclosure/_headline.html)."""

from django import template

from disclosure.selectors import statistics_latest
from disclosure.services.statistics_figures import figures_from_json

register = template.Library()


@register.simple_tag
def statistics_headline() -> dict | None:
    """Loans made to date, outstanding principal and the amount overdue rate, with the
    date they describe; None before anything is published."""
    snapshot = statistics_latest()
    if snapshot is None:
        return None
    figures = figures_from_json(snapshot.figures)
    return {
        "as_of": snapshot.as_of,
        "volume": figures["loans_cumulative_amount"],
        "outstanding": figures["outstanding_principal_amount"],
        "overdue_rate": figures["overdue_rate_amount"] * 100,
    }
