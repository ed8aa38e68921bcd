"""The regulator's filings pages: the list (filter by kind, format and period), and the
download, which goes through a short-lived signed link made for the signed-in user."""

from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from accounts.errors import RoleRequired
from compliance.filings_errors import FilingLinkExpired, FilingLinkInvalid
from compliance.filings_forms import FilingFilterForm
from compliance.filings_selectors import filing_list as select_filings
from compliance.models import Filing
from compliance.services.filings import (
    CONTENT_TYPES,
    ensure_filing_reader,
    filing_link_open,
    filing_link_sign,
)
from core.audit import AuditContext

PAGE_SIZE = 50


def filing_reader_required(view):
    """Sign-in first; then regulators and compliance officers only (403 `role_required`)."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        try:
            ensure_filing_reader(request.user)
        except RoleRequired as exc:
            return render(request, "403.html", {"error": exc}, status=exc.status_code)
        return view(request, *args, **kwargs)

    return wrapped


def filing_response(filing: Filing) -> FileResponse:
    response = FileResponse(
        filing.file.open("rb"),
        as_attachment=True,
        filename=filing.file_name,
        content_type=CONTENT_TYPES[filing.format],
    )
    response["X-Content-SHA256"] = filing.sha256
    response["Cache-Control"] = "private, no-store"
    return response


@filing_reader_required
@require_GET
def filing_list(request):
    form = FilingFilterForm(request.GET)
    valid = form.is_valid()
    filings = select_filings(**form.filters()) if valid else Filing.objects.none()
    page = Paginator(filings, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "compliance/filing_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "link_minutes": settings.FILINGS_LINK_MAX_AGE_SECONDS // 60,
        },
        status=200 if valid else 400,
    )


@filing_reader_required
@require_GET
def filing_download(request, pk: int):
    """Make a fresh signed link for this user and go to it."""
    filing = get_object_or_404(Filing, pk=pk)
    link = filing_link_sign(filing=filing, user=request.user)
    return redirect("compliance:filing-file", token=link.token)


@filing_reader_required
@require_GET
def filing_file(request, token: str):
    """The file behind a signed link: for the user it was made for, while it is fresh."""
    try:
        filing = filing_link_open(token=token, user=request.user, context=AuditContext.of(request))
    except FilingLinkInvalid:
        raise Http404 from None
    except FilingLinkExpired as exc:
        return render(request, "compliance/filing_link_expired.html", {"error": exc}, status=403)
    return filing_response(filing)
