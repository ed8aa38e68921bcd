"""Inspection requests: a regulator asks the platform for information (about a loan or
anything else) by a due date; compliance staff assign and answer it with documents; any
regulator reads the thread, closes the request, or reopens it with a follow-up. Every step
is audited; a request still open past its due date reminds compliance once per due date.

Regulators write nothing else on the platform: raising, following up and closing these
requests are their only writes (tests/compliance/test_portal_regulator_writes.py)."""

from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.errors import RoleRequired
from accounts.roles import Role
from compliance.models import (
    INSPECTION_SUBJECT_LENGTH,
    INSPECTION_TEXT_LENGTH,
    InspectionDocument,
    InspectionMessage,
    InspectionRequest,
)
from compliance.services.complaints import AttachmentRefused, text_checked
from core.audit import SYSTEM, AuditContext, audit_record
from core.errors import Conflict, DomainError, NotFound
from core.uploads import Upload, upload_store, uploads_check
from lending.business_date import business_date
from lending.models import Loan
from lending.services.notifications import notification_send

__all__ = [
    "Upload",
    "ensure_inspection_handler",
    "ensure_portal_reader",
    "ensure_regulator",
    "inspection_answer",
    "inspection_assign",
    "inspection_close",
    "inspection_documents_check",
    "inspection_raise",
    "inspection_reopen",
    "inspections_remind_overdue",
]


class DueDateRefused(DomainError):
    code = "due_on_invalid"


class LoanReferenceUnknown(DomainError):
    code = "loan_reference_unknown"
    message = _("No loan has that reference.")


class InspectionClosed(Conflict):
    code = "inspection_closed"
    message = _("This request is closed: reopen it to write again.")


class InspectionNotAnswerable(Conflict):
    code = "inspection_not_open"
    message = _("Only an open request can be answered; the regulator reopens a closed one.")


class InspectionAlreadyOpen(Conflict):
    code = "inspection_already_open"
    message = _("This request is open already: the platform is working on its answer.")


def ensure_regulator(user) -> None:
    """Only regulators raise, follow up and close inspection requests."""
    if not (user and user.is_authenticated and user.has_role(Role.REGULATOR)):
        raise RoleRequired(_("Inspection requests are raised by regulators."))


def ensure_inspection_handler(user) -> None:
    """Only compliance staff answer and assign inspection requests."""
    if not (user and user.is_authenticated and user.has_role(Role.COMPLIANCE)):
        raise RoleRequired(_("Inspection requests are answered by compliance staff."))


def ensure_portal_reader(user) -> None:
    """The regulator portal (filings, statistics, the audit trail, inspection requests) is
    read by regulators and by the platform's compliance staff; nobody else."""
    if not (
        user
        and user.is_authenticated
        and (user.has_role(Role.REGULATOR) or user.has_role(Role.COMPLIANCE))
    ):
        raise RoleRequired(_("The regulator portal is for regulators and compliance staff."))


def _checked_due_on(due_on: date) -> date:
    """A due date after today's business date and within INSPECTION_MAX_DUE_DAYS of it."""
    if not isinstance(due_on, date):
        raise DueDateRefused(_("Give the due date as a date."), field="due_on")
    today = business_date()
    if due_on <= today:
        raise DueDateRefused(_("The due date must be after today."), field="due_on")
    if due_on > today + timedelta(days=settings.INSPECTION_MAX_DUE_DAYS):
        raise DueDateRefused(
            _("The due date can be at most %(days)s days ahead.")
            % {"days": settings.INSPECTION_MAX_DUE_DAYS},
            field="due_on",
        )
    return due_on


def inspection_documents_check(uploads: list[Upload]) -> list[tuple[Upload, str]]:
    """Refuse too many documents, too large ones, and anything not a PDF, PNG or JPEG (told
    by the first bytes, never by the name or the declared type)."""
    return uploads_check(
        uploads,
        max_bytes=settings.INSPECTION_DOCUMENT_MAX_BYTES,
        max_count=settings.INSPECTION_DOCUMENTS_PER_MESSAGE,
        refuse=AttachmentRefused,
        too_many=_("Attach at most %(n)s documents to an answer.")
        % {"n": settings.INSPECTION_DOCUMENTS_PER_MESSAGE},
    )


def _add_message(request: InspectionRequest, author, text: str, documents, *, answer: bool):
    message = InspectionMessage.objects.create(
        request=request, author=author, text=text, is_answer=answer
    )
    for upload, kind in documents:
        upload_store(InspectionDocument(message=message), upload, kind)
    return message


def _locked(request_id: int) -> InspectionRequest:
    request = InspectionRequest.objects.select_for_update().filter(pk=request_id).first()
    if request is None:
        raise NotFound()
    return request


def _loan_by_reference(reference: str | None) -> Loan | None:
    reference = (reference or "").strip()
    if not reference:
        return None
    loan = Loan.objects.filter(reference__iexact=reference).first()
    if loan is None:
        raise LoanReferenceUnknown(field="loan_reference")
    return loan


@transaction.atomic
def inspection_raise(
    *,
    regulator,
    subject: str,
    text: str,
    due_on: date,
    loan_reference: str | None = None,
    context: AuditContext = SYSTEM,
) -> InspectionRequest:
    """A regulator asks for information by `due_on` (after today, within
    INSPECTION_MAX_DUE_DAYS), optionally about one loan named by its public reference."""
    ensure_regulator(regulator)
    subject = text_checked("subject", subject, INSPECTION_SUBJECT_LENGTH, multiline=False)
    text = text_checked("text", text, INSPECTION_TEXT_LENGTH, multiline=True)
    due_on = _checked_due_on(due_on)
    loan = _loan_by_reference(loan_reference)
    request = InspectionRequest.objects.create(
        raised_by=regulator, subject=subject, loan=loan, due_on=due_on
    )
    _add_message(request, regulator, text, [], answer=False)
    audit_record(
        action="compliance.inspection_raised",
        subject_type="inspection_request",
        subject_id=request.pk,
        actor=regulator,
        after={"due_on": due_on.isoformat(), "loan": loan.reference if loan else None},
        context=context,
    )
    return request


@transaction.atomic
def inspection_assign(
    *, request_id: int, actor, assignee, context: AuditContext = SYSTEM
) -> InspectionRequest:
    """Compliance staff give a request to a colleague (or themselves)."""
    ensure_inspection_handler(actor)
    ensure_inspection_handler(assignee)
    request = _locked(request_id)
    before = request.assigned_to_id
    request.assigned_to = assignee
    request.save(update_fields=["assigned_to"])
    audit_record(
        action="compliance.inspection_assigned",
        subject_type="inspection_request",
        subject_id=request.pk,
        actor=actor,
        before={"assigned_to": before},
        after={"assigned_to": assignee.pk},
        context=context,
    )
    return request


@transaction.atomic
def inspection_answer(
    *,
    request_id: int,
    author,
    text: str,
    uploads: list[Upload] = (),
    context: AuditContext = SYSTEM,
) -> InspectionMessage:
    """Compliance staff answer an open request, with documents; it waits for the regulator
    (answered), who is notified. The answerer is assigned if nobody was."""
    ensure_inspection_handler(author)
    text = text_checked("text", text, INSPECTION_TEXT_LENGTH, multiline=True)
    documents = inspection_documents_check(list(uploads))
    request = _locked(request_id)
    if request.status != InspectionRequest.Status.OPEN:
        raise InspectionNotAnswerable()
    message = _add_message(request, author, text, documents, answer=True)
    request.status = InspectionRequest.Status.ANSWERED
    request.first_answered_at = request.first_answered_at or timezone.now()
    if request.assigned_to_id is None:
        request.assigned_to = author
    request.save(update_fields=["status", "first_answered_at", "assigned_to"])
    audit_record(
        action="compliance.inspection_answered",
        subject_type="inspection_request",
        subject_id=request.pk,
        actor=author,
        after={
            "status": request.status,
            "documents": [{"name": d.name, "sha256": d.sha256} for d in message.documents.all()],
        },
        context=context,
    )
    notification_send(
        user=request.raised_by,
        kind="inspection_answered",
        title=str(
            _("Inspection request %(id)s has an answer: %(subject)s")
            % {"id": request.pk, "subject": request.subject[:60]}
        ),
        subject_type="inspection_request",
        subject_id=request.pk,
    )
    return message


@transaction.atomic
def inspection_close(
    *, request_id: int, actor, context: AuditContext = SYSTEM
) -> InspectionRequest:
    """A regulator closes a request (satisfied, or no longer needed). Closing a closed one
    changes nothing."""
    ensure_regulator(actor)
    request = _locked(request_id)
    if request.status == InspectionRequest.Status.CLOSED:
        return request
    before = request.status
    request.status = InspectionRequest.Status.CLOSED
    request.closed_at = timezone.now()
    request.save(update_fields=["status", "closed_at"])
    audit_record(
        action="compliance.inspection_closed",
        subject_type="inspection_request",
        subject_id=request.pk,
        actor=actor,
        before={"status": before},
        after={"status": request.status},
        context=context,
    )
    return request


@transaction.atomic
def inspection_reopen(
    *,
    request_id: int,
    actor,
    text: str,
    due_on: date | None = None,
    context: AuditContext = SYSTEM,
) -> InspectionRequest:
    """A regulator follows up on an answered request, or reopens a closed one, saying what
    is still needed (and, if they want, by a new due date): it waits for the platform again
    and a fresh overdue reminder may go out."""
    ensure_regulator(actor)
    text = text_checked("text", text, INSPECTION_TEXT_LENGTH, multiline=True)
    due_on = _checked_due_on(due_on) if due_on is not None else None
    request = _locked(request_id)
    if request.status == InspectionRequest.Status.OPEN:
        raise InspectionAlreadyOpen()
    before = {"status": request.status, "due_on": request.due_on.isoformat()}
    _add_message(request, actor, text, [], answer=False)
    if request.status == InspectionRequest.Status.CLOSED:
        request.reopened_count += 1
    request.status = InspectionRequest.Status.OPEN
    request.closed_at = None
    request.due_on = due_on or request.due_on
    request.reminded_for_due_on = None
    request.save()
    audit_record(
        action="compliance.inspection_reopened",
        subject_type="inspection_request",
        subject_id=request.pk,
        actor=actor,
        before=before,
        after={"status": request.status, "due_on": request.due_on.isoformat()},
        context=context,
    )
    return request


def inspections_remind_overdue(*, today: date | None = None) -> int:
    """Email compliance staff (and the assignee) once about each request still open past
    its due date; return how many requests were reminded. Each request is marked (with the
    due date it was reminded for) before its mail goes, so a rerun, or two workers at once,
    never remind twice for one due date."""
    today = today or business_date()
    overdue = list(
        InspectionRequest.objects.filter(
            status=InspectionRequest.Status.OPEN, due_on__lt=today, reminded_for_due_on__isnull=True
        )
        .select_related("assigned_to")
        .order_by("due_on", "id")
    )
    handlers = set(
        get_user_model()
        .objects.filter(groups__name=Role.COMPLIANCE.value, is_active=True)
        .values_list("email", flat=True)
    )
    reminded = 0
    for request in overdue:
        with transaction.atomic():
            marked = InspectionRequest.objects.filter(
                pk=request.pk,
                status=InspectionRequest.Status.OPEN,
                due_on=request.due_on,
                reminded_for_due_on__isnull=True,
            ).update(reminded_for_due_on=request.due_on)
            if not marked:
                continue
            audit_record(
                action="compliance.inspection_overdue_reminded",
                subject_type="inspection_request",
                subject_id=request.pk,
                after={"due_on": request.due_on.isoformat()},
            )
        recipients = sorted(
            handlers | ({request.assigned_to.email} if request.assigned_to else set())
        )
        if recipients:
            send_mail(
                _("Inspection request %(id)s is past its due date") % {"id": request.pk},
                _(
                    "The regulator's inspection request %(id)s "
                    '("%(subject)s") was due on %(due_on)s and has no answer yet. '
                    "Answer it in the operations console, under Compliance > Inspection "
                    "requests."
                )
                % {
                    "id": request.pk,
                    "subject": request.subject,
                    "due_on": f"{request.due_on:%Y-%m-%d}",
                },
                None,
                recipients,
            )
        reminded += 1
    return reminded
