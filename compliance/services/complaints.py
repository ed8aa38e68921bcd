"""Complaints: a user files one (about a loan or a wallet entry of theirs, with attachments);
compliance staff assign and answer it within the SLA; the user replies, closes or reopens
it. A breach of the SLA sends compliance a reminder once per deadline."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.errors import RoleRequired, TextRefused
from accounts.roles import Role
from accounts.services import ensure_customer
from compliance.models import (
    COMPLAINT_SUBJECT_LENGTH,
    COMPLAINT_TEXT_LENGTH,
    Complaint,
    ComplaintAttachment,
    ComplaintMessage,
)
from core.audit import SYSTEM, AuditContext, audit_record
from core.errors import Conflict, DomainError, NotFound
from core.text import public_text_refusal
from core.uploads import Upload, upload_store, uploads_check
from custody.models import Posting
from lending.models import Loan
from lending.services.notifications import notice, notification_send

HANDLER_ROLES = (Role.COMPLIANCE,)


class AttachmentRefused(DomainError):
    code = "attachment_refused"


class ComplaintClosed(Conflict):
    code = "complaint_closed"
    message = gettext_lazy("This complaint is closed: reopen it to write again.")


class ComplaintNotClosed(Conflict):
    code = "complaint_not_closed"
    message = gettext_lazy("Only a closed complaint can be reopened.")


class SubjectNotYours(DomainError):
    code = "complaint_subject_not_found"
    message = gettext_lazy("That loan or wallet entry is not one of yours.")


def text_checked(field: str, value: str, max_length: int, multiline: bool) -> str:
    """A required free text, trimmed: refused (TextRefused with the field) when empty or
    when core.text refuses it."""
    value = (value or "").strip()
    if not value:
        required = {"subject": _("Write the subject."), "text": _("Write the text.")}
        raise TextRefused(
            required.get(field) or _("Write the %(field)s.") % {"field": field},
            code="text_required",
            field=field,
        )
    refusal = public_text_refusal(value, max_length=max_length, multiline=multiline)
    if refusal is not None:
        raise TextRefused(refusal.message, code=refusal.code, field=field)
    return value


def _checked_uploads(uploads: list[Upload]) -> list[tuple[Upload, str]]:
    """Refuse too many files, too large ones, and anything not a PDF, PNG or JPEG."""
    return uploads_check(
        uploads,
        max_bytes=settings.COMPLAINT_ATTACHMENT_MAX_BYTES,
        max_count=settings.COMPLAINT_ATTACHMENTS_PER_MESSAGE,
        refuse=AttachmentRefused,
        too_many=_("Attach at most %(count)s files to a message.")
        % {"count": settings.COMPLAINT_ATTACHMENTS_PER_MESSAGE},
    )


def _add_message(complaint: Complaint, author, text: str, uploads, *, staff: bool):
    message = ComplaintMessage.objects.create(
        complaint=complaint, author=author, text=text, is_staff_reply=staff
    )
    for upload, kind in uploads:
        upload_store(ComplaintAttachment(message=message), upload, kind)
    return message


def _ensure_subject_is_theirs(user, loan_id: int | None, entry_id: int | None) -> None:
    if (
        loan_id is not None
        and not Loan.objects.filter(
            Q(borrower=user) | Q(investments__investor=user), pk=loan_id
        ).exists()
    ):
        raise SubjectNotYours()
    if (
        entry_id is not None
        and not Posting.objects.filter(entry_id=entry_id, account__owner=user).exists()
    ):
        raise SubjectNotYours()


def _due_from(now):
    return now + timedelta(days=settings.COMPLAINT_SLA_DAYS)


@transaction.atomic
def complaint_file(
    *,
    user,
    category: str,
    subject: str,
    text: str,
    loan_id: int | None = None,
    entry_id: int | None = None,
    uploads: list[Upload] = (),
    context: AuditContext = SYSTEM,
) -> Complaint:
    """File a complaint; an answer is due within COMPLAINT_SLA_DAYS. Staff file none: they
    answer them."""
    ensure_customer(user)  # staff answer complaints; they do not file them
    if category not in Complaint.Category.values:
        raise TextRefused(_("Choose a category."), code="category_invalid", field="category")
    subject = text_checked("subject", subject, COMPLAINT_SUBJECT_LENGTH, multiline=False)
    text = text_checked("text", text, COMPLAINT_TEXT_LENGTH, multiline=True)
    checked = _checked_uploads(list(uploads))
    _ensure_subject_is_theirs(user, loan_id, entry_id)
    now = timezone.now()
    complaint = Complaint.objects.create(
        user=user,
        category=category,
        subject=subject,
        loan_id=loan_id,
        entry_id=entry_id,
        answer_due_at=_due_from(now),
    )
    _add_message(complaint, user, text, checked, staff=False)
    audit_record(
        action="compliance.complaint_filed",
        subject_type="complaint",
        subject_id=complaint.pk,
        actor=user,
        after={"category": category, "attachments": len(checked)},
        context=context,
    )
    return complaint


def _locked(complaint_id: int) -> Complaint:
    complaint = Complaint.objects.select_for_update().filter(pk=complaint_id).first()
    if complaint is None:
        raise NotFound()
    return complaint


def _is_handler(user) -> bool:
    return any(user.has_role(role) for role in HANDLER_ROLES)


@transaction.atomic
def complaint_reply(
    *, complaint_id: int, author, text: str, uploads: list[Upload] = (), context=SYSTEM
) -> ComplaintMessage:
    """Add a message: the user on their own complaint (it waits for an answer again, a new
    deadline), or compliance staff (it is answered, waiting for the user)."""
    complaint = _locked(complaint_id)
    staff = _is_handler(author)
    if not staff and complaint.user_id != author.pk:
        raise NotFound()
    if complaint.status == Complaint.Status.CLOSED:
        raise ComplaintClosed()
    text = text_checked("text", text, COMPLAINT_TEXT_LENGTH, multiline=True)
    message = _add_message(complaint, author, text, _checked_uploads(list(uploads)), staff=staff)
    now = timezone.now()
    if staff:
        complaint.status = Complaint.Status.ANSWERED
        complaint.first_answered_at = complaint.first_answered_at or now
        if complaint.assigned_to_id is None:
            complaint.assigned_to = author
    elif complaint.status == Complaint.Status.ANSWERED:
        complaint.status = Complaint.Status.OPEN
        complaint.answer_due_at = _due_from(now)
        complaint.breach_reminded_at = None
    complaint.save()
    audit_record(
        action="compliance.complaint_answered" if staff else "compliance.complaint_replied",
        subject_type="complaint",
        subject_id=complaint.pk,
        actor=author,
        after={"status": complaint.status},
        context=context,
    )
    if staff:
        notification_send(
            user=complaint.user,
            kind="complaint_answered",
            title=notice(
                gettext_lazy("Your complaint %(subject)s has an answer"),
                subject=f"\u201c{complaint.subject[:60]}\u201d",
            ),
            subject_type="complaint",
            subject_id=complaint.pk,
        )
    return message


@transaction.atomic
def complaint_assign(*, complaint_id: int, actor, assignee, context=SYSTEM) -> Complaint:
    """Compliance staff give a complaint to a colleague (or themselves)."""
    if not _is_handler(actor) or not _is_handler(assignee):
        raise RoleRequired(_("Complaints are handled by compliance staff."))
    complaint = _locked(complaint_id)
    complaint.assigned_to = assignee
    complaint.save(update_fields=["assigned_to"])
    audit_record(
        action="compliance.complaint_assigned",
        subject_type="complaint",
        subject_id=complaint.pk,
        actor=actor,
        after={"assigned_to": assignee.pk},
        context=context,
    )
    return complaint


@transaction.atomic
def complaint_close(*, complaint_id: int, actor, context=SYSTEM) -> Complaint:
    """The user (satisfied) or compliance staff (after answering) close a complaint."""
    complaint = _locked(complaint_id)
    staff = _is_handler(actor)
    if not staff and complaint.user_id != actor.pk:
        raise NotFound()
    if complaint.status == Complaint.Status.CLOSED:
        return complaint
    if staff and complaint.first_answered_at is None:
        raise Conflict(_("Answer the complaint before closing it."), code="complaint_unanswered")
    complaint.status = Complaint.Status.CLOSED
    complaint.closed_at = timezone.now()
    complaint.save(update_fields=["status", "closed_at"])
    audit_record(
        action="compliance.complaint_closed",
        subject_type="complaint",
        subject_id=complaint.pk,
        actor=actor,
        context=context,
    )
    return complaint


@transaction.atomic
def complaint_reopen(
    *, complaint_id: int, user, text: str, uploads: list[Upload] = (), context=SYSTEM
) -> Complaint:
    """The user reopens their closed complaint with a message (and files); a new deadline
    starts."""
    complaint = _locked(complaint_id)
    if complaint.user_id != user.pk:
        raise NotFound()
    if complaint.status != Complaint.Status.CLOSED:
        raise ComplaintNotClosed()
    text = text_checked("text", text, COMPLAINT_TEXT_LENGTH, multiline=True)
    _add_message(complaint, user, text, _checked_uploads(list(uploads)), staff=False)
    complaint.status = Complaint.Status.OPEN
    complaint.closed_at = None
    complaint.reopened_count += 1
    complaint.answer_due_at = _due_from(timezone.now())
    complaint.breach_reminded_at = None
    complaint.save()
    audit_record(
        action="compliance.complaint_reopened",
        subject_type="complaint",
        subject_id=complaint.pk,
        actor=user,
        context=context,
    )
    return complaint


def complaints_remind_breaches(*, now=None) -> int:
    """Email compliance staff once about each open complaint past its deadline (and the
    assignee, when there is one); return how many complaints were reminded. Marked before
    the mail goes, per complaint, so a rerun never reminds twice for one deadline."""
    now = now or timezone.now()
    overdue = list(
        Complaint.objects.filter(
            status=Complaint.Status.OPEN, answer_due_at__lt=now, breach_reminded_at__isnull=True
        ).order_by("answer_due_at")
    )
    handlers = list(
        get_user_model()
        .objects.filter(groups__name=Role.COMPLIANCE.value, is_active=True)
        .values_list("email", flat=True)
    )
    reminded = 0
    for complaint in overdue:
        if not Complaint.objects.filter(pk=complaint.pk, breach_reminded_at__isnull=True).update(
            breach_reminded_at=now
        ):
            continue
        recipients = sorted(
            set(handlers) | ({complaint.assigned_to.email} if complaint.assigned_to else set())
        )
        if recipients:
            send_mail(
                _("Complaint %(id)s is past its answer deadline") % {"id": complaint.pk},
                _(
                    "Complaint %(id)s (%(category)s) was due for an answer by %(due_at)s UTC "
                    "and has none yet."
                )
                % {
                    "id": complaint.pk,
                    "category": complaint.get_category_display(),
                    "due_at": f"{complaint.answer_due_at:%Y-%m-%d %H:%M}",
                },
                None,
                recipients,
            )
        reminded += 1
    return reminded
