"""Complaint pages: file one, follow its thread, reply, close or reopen; attachments are
served only to the complaint's author and compliance staff."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import customer_required
from compliance import selectors
from compliance.forms import ComplaintForm, ReplyForm
from compliance.models import ComplaintAttachment
from compliance.services.complaints import (
    HANDLER_ROLES,
    Upload,
    complaint_close,
    complaint_file,
    complaint_reopen,
    complaint_reply,
)
from compliance.services.data_requests import (
    erasure_obstacles,
    erasure_request,
    personal_data_take,
)
from core.audit import AuditContext
from core.errors import DomainError
from lending.models import Loan


def _uploads(files) -> list[Upload]:
    return [Upload(name=f.name, data=f.read()) for f in files]


@customer_required
@require_GET
def complaint_list(request):
    complaints = selectors.complaint_list_for_user(request.user)
    return render(
        request,
        "compliance/complaint_list.html",
        {"complaints": complaints, "sla_days": settings.COMPLAINT_SLA_DAYS},
    )


@customer_required
@require_http_methods(["GET", "POST"])
def complaint_create(request):
    loans = (
        Loan.objects.filter(Q(borrower=request.user) | Q(investments__investor=request.user))
        .distinct()
        .order_by("-id")[:50]
    )
    posted = request.method == "POST"
    form = ComplaintForm(request.POST if posted else None, request.FILES or None, loans=loans)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            complaint = complaint_file(
                user=request.user,
                category=data["category"],
                subject=data["subject"],
                text=data["text"],
                loan_id=int(data["loan"]) if data["loan"] else None,
                uploads=_uploads(data["attachments"]),
                context=AuditContext.of(request),
            )
        except DomainError as exc:
            form.add_error(_field_of(exc, default="text"), exc.message)
        else:
            messages.success(
                request,
                _("Your complaint is filed. We answer within %(days)s days.")
                % {"days": settings.COMPLAINT_SLA_DAYS},
            )
            return redirect("compliance:complaint-detail", pk=complaint.pk)
    return render(
        request,
        "compliance/complaint_form.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


def _field_of(exc: DomainError, default: str) -> str:
    field = exc.context.get("field")
    if field in ("subject", "text", "category"):
        return field
    if exc.code.startswith("attachment") or exc.code == "too_many_attachments":
        return "attachments"
    return default if field is None else None


@customer_required
@require_http_methods(["GET", "POST"])
def complaint_detail(request, pk: int):
    complaint = selectors.complaint_for_user(request.user, pk)
    posted = request.method == "POST"
    form = ReplyForm(request.POST if posted else None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if complaint.status == complaint.Status.CLOSED:
                complaint_reopen(
                    complaint_id=pk,
                    user=request.user,
                    text=data["text"],
                    uploads=_uploads(data["attachments"]),
                    context=AuditContext.of(request),
                )
            else:
                complaint_reply(
                    complaint_id=pk,
                    author=request.user,
                    text=data["text"],
                    uploads=_uploads(data["attachments"]),
                    context=AuditContext.of(request),
                )
        except DomainError as exc:
            form.add_error(_field_of(exc, default="text"), exc.message)
        else:
            messages.success(
                request,
                _("Sent. We answer within %(days)s days.") % {"days": settings.COMPLAINT_SLA_DAYS},
            )
            return redirect("compliance:complaint-detail", pk=pk)
    return render(
        request,
        "compliance/complaint_detail.html",
        {"complaint": complaint, "form": form, "sla_days": settings.COMPLAINT_SLA_DAYS},
        status=400 if form.errors else 200,
    )


@customer_required
@require_POST
def complaint_close_view(request, pk: int):
    selectors.complaint_for_user(request.user, pk)
    complaint_close(complaint_id=pk, actor=request.user, context=AuditContext.of(request))
    messages.success(request, _("Closed. You can reopen it if the problem comes back."))
    return redirect("compliance:complaint-detail", pk=pk)


@login_required
@require_GET
def complaint_attachment(request, pk: int, attachment_id: int):
    """The file, to its complaint's author or to compliance staff; anyone else gets 404."""
    attachment = get_object_or_404(
        ComplaintAttachment.objects.select_related("message__complaint"),
        pk=attachment_id,
        message__complaint_id=pk,
    )
    is_handler = any(request.user.has_role(role) for role in HANDLER_ROLES)
    if attachment.message.complaint.user_id != request.user.pk and not is_handler:
        raise Http404
    response = FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=True,
        filename=attachment.name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def personal_data(request):
    """What the platform holds about the user, the download of all of it, and erasure (a
    POST with the typed confirmation)."""
    obstacles = erasure_obstacles(request.user)
    if request.method == "POST":
        if request.POST.get("confirm", "").strip().upper() != "ERASE":
            messages.error(request, _("Type ERASE to confirm: nothing was changed."))
            return redirect("compliance:personal-data")
        try:
            erasure = erasure_request(user=request.user, context=AuditContext.of(request))
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("compliance:personal-data")
        return render(request, "compliance/erased.html", {"erasure": erasure})
    return render(
        request,
        "compliance/personal_data.html",
        {"obstacles": obstacles, "retention_years": settings.DATA_RETENTION_YEARS},
    )


@login_required
@require_GET
def personal_data_download(request):
    """All the user's data as one JSON file (audited)."""
    data = personal_data_take(user=request.user, context=AuditContext.of(request))
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = 'attachment; filename="my-p2p-lending-data.json"'
    return response
