"""Template filters for lending pages: rates as percentages."""

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def pct(rate) -> str:
    """0.0895 -> '8.95%'."""
    if rate in (None, ""):
        return "—"
    return f"{Decimal(str(rate)) * 100:.2f}%"
