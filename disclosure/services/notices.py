"""Major-event notices (2017 Disclosure Guidelines art. 12): operations draft one, a
different staff member approves it (maker-checker) and it is published; the home page shows
it for DISCLOSURE_NOTICE_BANNER_HOURS, the archive keeps it, and every investor is notified
once, in one INSERT ... SELECT after commit, whatever reruns the notifying task.

Reads live here too (the banner, the archive), beside the rule that decides them.
"""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.language import stored_values
from accounts.roles import Role
from core.audit import SYSTEM, AuditContext, audit_record
from core.enqueue import enqueue_on_commit
from core.errors import NotFound
from core.site import site_url
from core.text import public_text_refusal
from disclosure import errors
from disclosure.models import NOTICE_BODY_LENGTH, NOTICE_TITLE_LENGTH, EventNotice
from lending.business_date import business_date
from lending.models import Investment, Notification

# Operations draft and submit notices; operations or compliance approve them, never the
# person who drafted or submitted the notice.
MAKER_ROLES = (Role.OPERATIONS,)
CHECKER_ROLES = (Role.OPERATIONS, Role.COMPLIANCE)
# Everyone with money in a loan, or on its way there, hears of a major event.
INVESTOR_STATUSES = (
    Investment.Status.PENDING,
    Investment.Status.RESERVED,
    Investment.Status.ACTIVE,
)
# Notification emails go out in tasks of at most this many.
EMAIL_CHUNK = 1000


def may_draft_notice(user) -> bool:
    return bool(user and user.is_authenticated and any(user.has_role(r) for r in MAKER_ROLES))


def may_approve_notice(user) -> bool:
    return bool(user and user.is_authenticated and any(user.has_role(r) for r in CHECKER_ROLES))


def ensure_may_draft_notice(user) -> None:
    if not may_draft_notice(user):
        raise errors.NoticeRoleRequired(_("Only operations may draft or submit a notice."))


def ensure_may_approve_notice(user) -> None:
    if not may_approve_notice(user):
        raise errors.NoticeRoleRequired(_("Only operations or compliance may approve a notice."))


def platform_now() -> datetime:
    """The platform clock: now, or in manual business-date mode (demos, tests) the business
    date at the current time of day, so a replayed day shows the notices of that day."""
    now = timezone.localtime()
    if getattr(settings, "BUSINESS_DATE_MODE", "calendar") != "manual":
        return now
    on = business_date()
    return now if on == now.date() else datetime.combine(on, now.timetz())


def _fields(title: str, body: str, category: str, effective_on) -> dict:
    title = (title or "").strip()
    body = (body or "").strip().replace("\r\n", "\n")
    for field, value, limit, multiline in (
        ("title", title, NOTICE_TITLE_LENGTH, False),
        ("body", body, NOTICE_BODY_LENGTH, True),
    ):
        if not value:
            raise errors.NoticeFieldRefused(
                _("Write the notice's %(field)s.") % {"field": field},
                code="text_required",
                field=field,
            )
        refusal = public_text_refusal(value, max_length=limit, multiline=multiline)
        if refusal is not None:
            raise errors.NoticeFieldRefused(refusal.message, code=refusal.code, field=field)
    if category not in EventNotice.Category.values:
        raise errors.NoticeFieldRefused(
            _("Choose one of the notice categories."), code="category_invalid", field="category"
        )
    if not isinstance(effective_on, date):
        raise errors.NoticeFieldRefused(
            _("Give the date the event takes effect."),
            code="effective_on_required",
            field="effective_on",
        )
    return {"title": title, "body": body, "category": category, "effective_on": effective_on}


def _snapshot(notice: EventNotice) -> dict:
    return {
        "title": notice.title,
        "category": notice.category,
        "effective_on": notice.effective_on.isoformat(),
        "status": notice.status,
    }


def _locked(notice_id: int) -> EventNotice:
    notice = EventNotice.objects.select_for_update().filter(pk=notice_id).first()
    if notice is None:
        raise NotFound()
    return notice


@transaction.atomic
def notice_draft_save(
    *,
    actor,
    title: str,
    body: str,
    category: str,
    effective_on: date,
    notice_id: int | None = None,
    context: AuditContext = SYSTEM,
) -> EventNotice:
    """Operations write a new draft, or change one still a draft (a submitted notice is
    frozen: what the checker approves is what is published)."""
    ensure_may_draft_notice(actor)
    values = _fields(title, body, category, effective_on)
    if notice_id is None:
        notice = EventNotice.objects.create(drafted_by=actor, **values)
        before = None
        action = "disclosure.notice_drafted"
    else:
        notice = _locked(notice_id)
        if notice.status != EventNotice.Status.DRAFT:
            raise errors.NoticeNotDraft()
        before = _snapshot(notice)
        for name, value in values.items():
            setattr(notice, name, value)
        notice.save()
        action = "disclosure.notice_changed"
    audit_record(
        action=action,
        subject_type="event_notice",
        subject_id=notice.pk,
        actor=actor,
        before=before,
        after=_snapshot(notice),
        context=context,
    )
    return notice


@transaction.atomic
def notice_submit(*, notice_id: int, maker, context: AuditContext = SYSTEM) -> EventNotice:
    """The maker asks for publication: the notice freezes and waits for a second approval."""
    ensure_may_draft_notice(maker)
    notice = _locked(notice_id)
    if notice.status != EventNotice.Status.DRAFT:
        raise errors.NoticeNotDraft()
    notice.status = EventNotice.Status.PENDING_APPROVAL
    notice.submitted_by = maker
    notice.submitted_at = timezone.now()
    notice.save(update_fields=["status", "submitted_by", "submitted_at", "updated_at"])
    audit_record(
        action="disclosure.notice_submitted",
        subject_type="event_notice",
        subject_id=notice.pk,
        actor=maker,
        after=_snapshot(notice),
        context=context,
    )
    return notice


def _ensure_not_maker(notice: EventNotice, checker) -> None:
    if checker.pk in (notice.drafted_by_id, notice.submitted_by_id):
        raise errors.NoticeSameApprover()


@transaction.atomic
def notice_approve(*, notice_id: int, checker, context: AuditContext = SYSTEM) -> EventNotice:
    """A second staff member (never the maker) approves: the notice is published on the
    platform clock, and investors are notified once the transaction commits. The row lock
    makes two checkers acting at once publish it once."""
    ensure_may_approve_notice(checker)
    notice = _locked(notice_id)
    if notice.status != EventNotice.Status.PENDING_APPROVAL:
        raise errors.NoticeNotPending()
    _ensure_not_maker(notice, checker)
    notice.status = EventNotice.Status.PUBLISHED
    notice.approved_by = checker
    notice.published_at = platform_now()
    notice.save(update_fields=["status", "approved_by", "published_at", "updated_at"])
    audit_record(
        action="disclosure.notice_published",
        subject_type="event_notice",
        subject_id=notice.pk,
        actor=checker,
        before={"status": EventNotice.Status.PENDING_APPROVAL},
        after={**_snapshot(notice), "published_at": notice.published_at.isoformat()},
        context=context,
    )
    enqueue_on_commit("disclosure.notice_notify_investors", notice.pk)
    return notice


@transaction.atomic
def notice_send_back(
    *, notice_id: int, checker, reason: str, context: AuditContext = SYSTEM
) -> EventNotice:
    """The checker refuses to approve: the notice returns to draft, with the reason audited."""
    ensure_may_approve_notice(checker)
    reason = (reason or "").strip()
    if not reason or public_text_refusal(reason, max_length=500) is not None:
        raise errors.NoticeFieldRefused(
            _("Say in at most 500 characters why the notice goes back."),
            code="reason_required",
            field="reason",
        )
    notice = _locked(notice_id)
    if notice.status != EventNotice.Status.PENDING_APPROVAL:
        raise errors.NoticeNotPending()
    _ensure_not_maker(notice, checker)
    notice.status = EventNotice.Status.DRAFT
    notice.submitted_by = None
    notice.submitted_at = None
    notice.save(update_fields=["status", "submitted_by", "submitted_at", "updated_at"])
    audit_record(
        action="disclosure.notice_sent_back",
        subject_type="event_notice",
        subject_id=notice.pk,
        actor=checker,
        after={"status": notice.status, "reason": reason},
        context=context,
    )
    return notice


def _notification_body(notice: EventNotice) -> str:
    link = site_url(reverse("disclosure:notice-detail", args=[notice.pk]))
    # Outside the f-string, where makemessages finds it.
    read = _("Read the notice on the platform:")
    return f"{notice.body}\n\n{read} {link}"


# `WHERE TRUE` lets SQLite (the embedded mode) read ON CONFLICT as the upsert clause rather
# than a join constraint; PostgreSQL does not need it.
_NOTIFY_SQL = """
INSERT INTO {notification} (user_id, kind, title, body, subject_type, subject_id,
                            created_at, dedupe_key)
SELECT holders.investor_id, %s, %s, %s, %s, %s, %s, %s
FROM (SELECT DISTINCT i.investor_id
      FROM {investment} i JOIN {user} u ON u.id = i.investor_id
      WHERE i.status IN ({statuses}) AND u.is_active AND {language}) AS holders
WHERE TRUE
ORDER BY holders.investor_id
ON CONFLICT DO NOTHING
RETURNING id
"""


@transaction.atomic
def notice_investors_notify(*, notice_id: int) -> int:
    """Notify every investor (each user holding an investment) of a published notice, in
    one INSERT ... SELECT; return how many were notified by this call.

    Once per investor: each notification carries the dedupe key `notice:<id>`, unique per
    user (lending_notification_once_per_occasion), and ON CONFLICT DO NOTHING skips those
    already there, so a rerun notifies only investors who were not notified yet, and two
    runs at once wait on each other's rows instead of inserting twice. Only the rows this
    call inserted get their email task."""
    notice = EventNotice.objects.filter(pk=notice_id, status=EventNotice.Status.PUBLISHED).first()
    if notice is None:
        return 0
    # One INSERT ... SELECT per language, each written in it for the investors addressed in
    # it (accounts.language), in the languages' order, so concurrent runs lock alike.
    created = []
    now = timezone.now()
    for language, _name in settings.LANGUAGES:
        values, negated = stored_values(language)
        condition = (
            f"u.language {'NOT IN' if negated else 'IN'} ({', '.join(['%s'] * len(values))})"
            if values
            else "TRUE"
        )
        sql = _NOTIFY_SQL.format(
            notification=connection.ops.quote_name(Notification._meta.db_table),
            investment=connection.ops.quote_name(Investment._meta.db_table),
            user=connection.ops.quote_name(get_user_model()._meta.db_table),
            statuses=", ".join(["%s"] * len(INVESTOR_STATUSES)),
            language=condition,
        )
        with translation.override(language):
            title = str(_("Major event notice: %(title)s") % {"title": notice.title})[:200]
            body = _notification_body(notice)
        params = [
            "event_notice",
            title,
            body,
            "notice",
            str(notice.pk),
            now,
            notice.dedupe_key,
            *(str(s) for s in INVESTOR_STATUSES),
            *values,
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            created += [row[0] for row in cursor.fetchall()]
    created.sort()
    for start in range(0, len(created), EMAIL_CHUNK):
        enqueue_on_commit("lending.notification_emails", created[start : start + EMAIL_CHUNK])
    if created:
        audit_record(
            action="disclosure.notice_investors_notified",
            subject_type="event_notice",
            subject_id=notice.pk,
            actor=None,
            after={"notified": len(created)},
            context=SYSTEM,
        )
    return len(created)


# --- Reads ---


def banner_window() -> timedelta:
    return timedelta(hours=settings.DISCLOSURE_NOTICE_BANNER_HOURS)


def notices_on_home(*, now: datetime | None = None) -> list[EventNotice]:
    """The published notices the home page shows at `now` (the platform clock by default):
    published within the last DISCLOSURE_NOTICE_BANNER_HOURS, newest first."""
    now = now or platform_now()
    return list(
        EventNotice.objects.filter(
            status=EventNotice.Status.PUBLISHED,
            published_at__lte=now,
            published_at__gt=now - banner_window(),
        ).order_by("-published_at", "-id")[:3]
    )


def notice_list_published() -> QuerySet[EventNotice]:
    """The public archive: every published notice, newest first."""
    return EventNotice.objects.filter(status=EventNotice.Status.PUBLISHED).order_by(
        "-published_at", "-id"
    )


def notice_get_published(notice_id: int) -> EventNotice | None:
    return notice_list_published().filter(pk=notice_id).first()
