"""Reads of regulatory filings: the list regulators and compliance filter."""

from datetime import date

from compliance.models import Filing


def filing_list(
    *,
    kind: str | None = None,
    fmt: str | None = None,
    period_from: date | None = None,
    period_to: date | None = None,
):
    """Filings newest period first, each version listed; filtered by kind, format and a
    range of period start dates (inclusive)."""
    filings = Filing.objects.order_by("-period_start", "kind", "format", "-version")
    if kind:
        filings = filings.filter(kind=kind)
    if fmt:
        filings = filings.filter(format=fmt)
    if period_from:
        filings = filings.filter(period_end__gte=period_from)
    if period_to:
        filings = filings.filter(period_start__lte=period_to)
    return filings
