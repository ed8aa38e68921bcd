"""The investor's portfolio pages beside the holdings list: one investment's cash flows,
and the annual statement downloads (CSV, PDF). Another investor's is 404."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.errors import NotFound
from lending import portfolio
from lending.statements import statement_csv, statement_pdf
from lending.views import role_required

# Statements exist for the years the platform has run; outside these, nothing to look up.
FIRST_YEAR, LAST_YEAR = 2000, 2999


@role_required("investor")
@require_GET
def investment_cash_flows(request, pk: int):
    try:
        flows = portfolio.investment_cash_flows(request.user, pk)
    except NotFound:
        raise Http404 from None
    return render(
        request,
        "lending/investment_cash_flows.html",
        {"cash_flows": flows, "investment": flows.investment, "section": "portfolio"},
    )


def _statement(request, year: int) -> portfolio.Statement:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404
    try:
        return portfolio.annual_statement(request.user, year)
    except NotFound:
        raise Http404 from None


def _download(content, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@role_required("investor")
@require_GET
def statement_csv_download(request, year: int):
    statement = _statement(request, year)
    return _download(statement_csv(statement), "text/csv; charset=utf-8", f"statement-{year}.csv")


@role_required("investor")
@require_GET
def statement_pdf_download(request, year: int):
    statement = _statement(request, year)
    return _download(statement_pdf(statement), "application/pdf", f"statement-{year}.pdf")
