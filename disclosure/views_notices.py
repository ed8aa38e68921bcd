"""Public disclosure pages: the event-notice archive and a notice, the institution page and
its documents (served through a view, as downloads, never from a public media URL)."""

from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from disclosure.models import InstitutionDocument
from disclosure.services.institution import institution_document_list, institution_registration
from disclosure.services.notices import notice_get_published, notice_list_published

NOTICES_PER_PAGE = 20


@require_GET
def notice_list(request):
    paginator = Paginator(notice_list_published(), NOTICES_PER_PAGE)
    raw = request.GET.get("page") or "1"
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= paginator.num_pages:
        raise Http404
    page = paginator.page(int(raw))
    return render(request, "disclosure/notices_list.html", {"page": page, "section": "disclosure"})


@require_GET
def notice_detail(request, pk: int):
    notice = notice_get_published(pk)
    if notice is None:
        raise Http404
    return render(
        request, "disclosure/notices_detail.html", {"notice": notice, "section": "disclosure"}
    )


@require_GET
def institution(request):
    return render(
        request,
        "disclosure/institution.html",
        {
            "registration": institution_registration(),
            "documents": list(institution_document_list()),
            "section": "disclosure",
        },
    )


@require_GET
def institution_document(request, pk: int):
    """The document as a download, with its checked content type; public."""
    document = get_object_or_404(InstitutionDocument, pk=pk)
    response = FileResponse(
        document.file.open("rb"),
        content_type=document.content_type,
        as_attachment=True,
        filename=document.name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
