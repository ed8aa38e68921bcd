"""The regulator portal's pages: the home (what a regulator can do), the audit trail with
its filters and CSV export, and inspection requests (raise, follow, close or reopen, and
download the answer documents). Regulators and compliance staff read; only regulators
write, and only inspection requests."""

import json
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.roles import Role
from compliance import selectors_portal as selectors
from compliance.forms_portal import AuditFilterForm, FollowUpForm, InspectionForm
from compliance.models import InspectionDocument
from compliance.services.audit_trail import audit_trail_export_record
from compliance.services.inspections import (
    ensure_portal_reader,
    ensure_regulator,
    inspection_close,
    inspection_raise,
    inspection_reopen,
)
from core.audit import AuditContext
from core.csv_stream import csv_text, csv_writer
from core.errors import DomainError
from lending.business_date import business_date

# Sections other apps publish, by the URL names they may carry: shown once they exist.
CSV_COLUMNS = (
    "id",
    "occurred_at",
    "action",
    "actor_id",
    "actor_label",
    "subject_type",
    "subject_id",
    "before",
    "after",
    "ip_address",
    "user_agent",
    "hash",
)


def _refused(request, exc: DomainError):
    return render(request, "403.html", {"error": exc}, status=exc.status_code)


def _guarded(ensure):
    """Sign-in required, then `ensure(user)`: the 403 page with the refusal's code
    (`role_required`) before the view does any work."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            try:
                ensure(request.user)
            except DomainError as exc:
                return _refused(request, exc)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


portal_reader_required = _guarded(ensure_portal_reader)
regulator_required = _guarded(ensure_regulator)


def _is_regulator(user) -> bool:
    return user.has_role(Role.REGULATOR)


def _render(request, template: str, section: str, context: dict, status: int = 200):
    """A portal page: its section's tab, the links to other apps' sections that exist, the
    business date (for overdue marks) and whether the reader is a regulator."""
    return render(
        request,
        template,
        {
            "section": section,
            "filings_url": reverse("compliance:filing-list"),
            "statistics_url": reverse("disclosure:statistics"),
            "today": business_date(),
            "is_regulator": _is_regulator(request.user),
            **context,
        },
        status=status,
    )


@portal_reader_required
@require_GET
def portal_home(request):
    check = selectors.audit_chain_last_check()
    inspections = selectors.inspection_list()
    return _render(
        request,
        "compliance/portal_home.html",
        "home",
        {
            "chain_check": check,
            "counts": selectors.inspection_counts(),
            "recent_inspections": list(inspections[:5]),
        },
    )


def _audit_form(request) -> AuditFilterForm:
    actions, subject_types = selectors.audit_event_kinds()
    return AuditFilterForm(request.GET or None, actions=actions, subject_types=subject_types)


def _before(request) -> int | None:
    raw = request.GET.get("before", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None


@portal_reader_required
@require_GET
def audit_list(request):
    """The trail, filtered, newest first, 50 a page (keyset paging on the event id)."""
    form = _audit_form(request)
    if request.GET and not form.is_valid():
        return _render(
            request,
            "compliance/portal_audit_list.html",
            "audit",
            {"form": form, "events": [], "chain_check": selectors.audit_chain_last_check()},
            status=400,
        )
    filters = form.filters() if request.GET else selectors.AuditFilters()
    events, older = selectors.audit_event_page(filters, before=_before(request))
    for event in events:
        event.changes = _changes(event)
    query = request.GET.copy()
    query.pop("before", None)
    return _render(
        request,
        "compliance/portal_audit_list.html",
        "audit",
        {
            "form": form,
            "events": events,
            "older": older,
            "paged": _before(request) is not None,
            "query": query.urlencode(),
            "filtered": bool(filters.as_dict()),
            "chain_check": selectors.audit_chain_last_check(),
        },
    )


_CHANGE_VALUE_LENGTH = 120


def _shown(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= _CHANGE_VALUE_LENGTH else text[: _CHANGE_VALUE_LENGTH - 1] + "…"


def _changes(event) -> list[dict]:
    """An event's before and after as the page shows them: one line per field, `old -> new`
    where both are recorded (the CSV export and the API carry the full JSON)."""
    before = event.before if isinstance(event.before, dict) else {"value": event.before}
    after = event.after if isinstance(event.after, dict) else {"value": event.after}
    lines = []
    for key in [*after, *(k for k in before if k not in after)]:
        line = {"key": key, "after": _shown(after[key]) if key in after else "—"}
        if key in before:
            line["before"] = _shown(before[key])
        lines.append(line)
    return lines


def _csv_rows(events):
    writer = csv_writer()
    yield "\ufeff" + writer.writerow(CSV_COLUMNS)  # the BOM: spreadsheets read it as UTF-8
    for event in events.iterator(chunk_size=2000):
        yield writer.writerow(
            [
                event.id,
                event.occurred_at.isoformat(),
                csv_text(event.action),
                event.actor_id or "",
                csv_text(event.actor_label),
                csv_text(event.subject_type),
                csv_text(event.subject_id),
                csv_text(_json(event.before)),
                csv_text(_json(event.after)),
                event.ip_address or "",
                csv_text(event.user_agent),
                event.hash,
            ]
        )


def _json(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


@portal_reader_required
@require_GET
def audit_export(request):
    """The filtered trail as CSV, streamed row by row from a server-side cursor (constant
    memory whatever its size). The export is audited, with its filters and row count,
    before the first row leaves."""
    form = _audit_form(request)
    if request.GET and not form.is_valid():
        return _render(
            request,
            "compliance/portal_audit_list.html",
            "audit",
            {"form": form, "events": [], "chain_check": selectors.audit_chain_last_check()},
            status=400,
        )
    filters = form.filters() if request.GET else selectors.AuditFilters()
    events = selectors.audit_event_list(filters)
    # Only what was there when the export began: the export's own event and anything
    # written while it streams are not part of it.
    last = events.values_list("id", flat=True).first()
    events = events.filter(id__lte=last or 0).order_by("id")
    audit_trail_export_record(
        actor=request.user,
        filters=filters.as_dict(),
        rows=events.count(),
        context=AuditContext.of(request),
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(_csv_rows(events), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-trail-{stamp}.csv"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@portal_reader_required
@require_GET
def inspection_list(request):
    return _render(
        request,
        "compliance/inspection_list.html",
        "inspections",
        {"inspections": selectors.inspection_list()},
    )


def _field_of(exc: DomainError, fields, default: str | None) -> str | None:
    field = exc.context.get("field")
    return field if field in fields else default


@regulator_required
@require_http_methods(["GET", "POST"])
def inspection_create(request):
    form = InspectionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            inspection = inspection_raise(
                regulator=request.user,
                subject=data["subject"],
                text=data["text"],
                due_on=data["due_on"],
                loan_reference=data["loan_reference"],
                context=AuditContext.of(request),
            )
        except DomainError as exc:
            form.add_error(_field_of(exc, form.fields, None), exc.message)
        else:
            messages.success(request, _("Your request is sent to the platform's compliance team."))
            return redirect("compliance:inspection-detail", pk=inspection.pk)
    return _render(
        request,
        "compliance/inspection_form.html",
        "inspections",
        {"form": form},
        status=400 if form.errors else 200,
    )


def _detail(request, pk: int, follow_up: FollowUpForm, status: int = 200):
    return _render(
        request,
        "compliance/inspection_detail.html",
        "inspections",
        {"inspection": selectors.inspection_get(pk), "follow_up": follow_up},
        status=status,
    )


@portal_reader_required
@require_GET
def inspection_detail(request, pk: int):
    return _detail(request, pk, FollowUpForm())


@regulator_required
@require_POST
def inspection_close_view(request, pk: int):
    selectors.inspection_get(pk)
    inspection_close(request_id=pk, actor=request.user, context=AuditContext.of(request))
    messages.success(request, _("Closed. You can reopen it if something is still missing."))
    return redirect("compliance:inspection-detail", pk=pk)


@regulator_required
@require_POST
def inspection_reopen_view(request, pk: int):
    selectors.inspection_get(pk)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            inspection_reopen(
                request_id=pk,
                actor=request.user,
                text=form.cleaned_data["text"],
                due_on=form.cleaned_data["due_on"],
                context=AuditContext.of(request),
            )
        except DomainError as exc:
            form.add_error(_field_of(exc, form.fields, None), exc.message)
        else:
            messages.success(request, _("Sent: the request is open again."))
            return redirect("compliance:inspection-detail", pk=pk)
    return _detail(request, pk, form, status=400)


@portal_reader_required
@require_GET
def inspection_document(request, pk: int, document_id: int):
    """An answer document, to regulators and compliance staff only (never a media URL)."""
    document = get_object_or_404(
        InspectionDocument.objects.select_related("message"),
        pk=document_id,
        message__request_id=pk,
    )
    if not document.file:
        raise Http404
    response = FileResponse(
        document.file.open("rb"),
        content_type=document.content_type,
        as_attachment=True,
        filename=document.name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
