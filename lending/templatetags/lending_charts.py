"""Server-side SVG charts for lending pages (no JavaScript): horizontal bars, one per slice
of an allocation, drawn with SVG attributes only (the CSP allows no inline styles)."""

from decimal import Decimal

from django import template

register = template.Library()

ROW_HEIGHT = 30
LABEL_WIDTH = 104
BAR_MAX = 120
# Grades keep the colours of their badges (static/css/lending.css); statuses run from
# green (current) through amber to red (defaulted).
COLOURS = {
    "A": "#1f7a3a",
    "B": "#4c8f2a",
    "C": "#b58a00",
    "D": "#c9631a",
    "E": "#b3261e",
    "current": "#1f7a3a",
    "1-30": "#b58a00",
    "31-60": "#c9631a",
    "61-90": "#d84b16",
    "90+": "#b3261e",
    "defaulted": "#7a1212",
}


@register.inclusion_tag("lending/_bar_chart.html")
def bar_chart(slices, title: str, currency: str):
    """Bars as wide as each slice's share of the whole, with its percentage and amount."""
    rows = []
    for index, part in enumerate(slices):
        width = max(int(part.share * BAR_MAX), 2)
        rows.append(
            {
                "slice": part,
                "y": index * ROW_HEIGHT,
                "text_y": index * ROW_HEIGHT + 19,
                "bar_y": index * ROW_HEIGHT + 6,
                "width": width,
                "value_x": LABEL_WIDTH + width + 6,
                "percent": (part.share * 100).quantize(Decimal("0.1")),
                "colour": COLOURS.get(part.key, "#0b5fff"),
            }
        )
    return {
        "rows": rows,
        "title": title,
        "currency": currency,
        "height": max(len(rows), 1) * ROW_HEIGHT,
        "label_width": LABEL_WIDTH,
        "bar_x": LABEL_WIDTH,
    }
