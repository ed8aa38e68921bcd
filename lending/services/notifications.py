"""Notify users: a stored notification each, emailed by a Celery task enqueued after the
transaction commits (so no request waits on the mail server, and a worker that dies before
sending leaves the task to be redelivered); users mark their notifications read.

A notification is stored as text, written in its recipient's language when it is created
(never the language of whoever's request or task sends it): senders pass `notice(...)` texts,
which are rendered per recipient here. Plain strings are stored as given."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.utils import timezone
from django.utils.translation import gettext

from accounts.language import user_language
from core.enqueue import enqueue_on_commit
from core.errors import NotFound
from core.site import site_url
from lending.models import Notification
from lending.selectors import notification_paths


@dataclass(frozen=True)
class Notice:
    """A notification text still to be written in its recipient's language: a message marked
    with gettext_lazy and the values of its named placeholders."""

    message: object  # a gettext_lazy string
    params: Mapping[str, object] = field(default_factory=dict)

    def render(self) -> str:
        """The text in the active language (ngettext_lazy picks its form from the params)."""
        return str(self.message % self.params) if self.params else str(self.message)


def notice(message, **params) -> Notice:
    """`notice(gettext_lazy("Loan %(loan)s is fully funded"), loan=loan.reference)`."""
    return Notice(message, params)


def _recipients(user_ids) -> dict:
    """The recipients with their stored language, read fresh in one query (the caller's user
    objects may predate a change of language)."""
    return get_user_model().objects.only("pk", "language").in_bulk(set(user_ids))


def notifications_written(notifications: list[Notification]) -> list[Notification]:
    """Render each notification's `Notice` texts in its recipient's language
    (accounts.language: their stored choice, else the platform default)."""
    recipients = _recipients(n.user_id for n in notifications)
    for notification in notifications:
        with user_language(recipients[notification.user_id]):
            for name in ("title", "body"):
                text = getattr(notification, name)
                if isinstance(text, Notice):
                    setattr(notification, name, text.render())
                elif not isinstance(text, str):
                    setattr(notification, name, str(text))
    return notifications


def notification_send(
    *,
    user,
    kind: str,
    title: str | Notice,
    body: str | Notice = "",
    subject_type: str = "",
    subject_id="",
) -> Notification:
    """Notify one user (see `notification_send_many`)."""
    return notification_send_many(
        users=[user],
        kind=kind,
        title=title,
        body=body,
        subject_type=subject_type,
        subject_id=subject_id,
    )[0]


def notification_send_many(
    *,
    users,
    kind: str,
    title: str | Notice,
    body: str | Notice = "",
    subject_type: str = "",
    subject_id="",
) -> list[Notification]:
    """The same notification to each of `users`, in one insert, and one email task for all
    of them once the caller's transaction commits."""
    notifications = Notification.objects.bulk_create(
        notifications_written(
            [
                Notification(
                    user=user,
                    kind=kind,
                    title=title,
                    body=body,
                    subject_type=subject_type,
                    subject_id=str(subject_id),
                )
                for user in users
            ]
        )
    )
    if notifications:
        enqueue_on_commit("lending.notification_emails", [n.pk for n in notifications])
    return notifications


def notification_send_each(*, notifications: list[Notification]) -> list[Notification]:
    """Notifications that differ per user (built unsaved by the caller), in one insert, and
    one email task for all of them once the caller's transaction commits."""
    created = Notification.objects.bulk_create(notifications_written(list(notifications)))
    if created:
        enqueue_on_commit("lending.notification_emails", [n.pk for n in created])
    return created


def notification_emails_send(*, notification_ids) -> int:
    """Email each of these notifications not emailed yet; return how many were sent.

    At least once: each is marked emailed after its mail is handed to the mail server, so
    a retry after a crash in between sends that one again, and nothing is skipped.
    """
    pending = list(
        Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True)
        .select_related("user")
        .order_by("pk")
    )
    paths = notification_paths(pending)
    sent = 0
    for notification in pending:
        text = notification.body or notification.title
        if path := paths.get(notification.pk):
            with user_language(notification.user):
                link = gettext("See it on the platform: %(url)s") % {"url": site_url(path)}
            text += f"\n\n{link}"
        send_mail(
            f"{getattr(settings, 'ACCOUNT_EMAIL_SUBJECT_PREFIX', '')}{notification.title}",
            text,
            None,
            [notification.user.email],
        )
        sent += Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
    return sent


# Notifications one sweep enqueues at most, oldest first, and per email task; a backlog after
# a long outage goes out over the next sweeps.
RESEND_LIMIT = 5000
EMAIL_CHUNK = 1000


def notification_emails_resend(*, now=None) -> int:
    """Enqueue again the emails of notifications still unsent after
    LENDING_EMAIL_STUCK_MINUTES (their task was lost with a broker or a process), up to
    LENDING_EMAIL_RESEND_HOURS old; return how many. The sweep, on beat every few minutes.

    Sending is at least once already (`notification_emails_send` skips what was marked
    emailed), so a task merely late when the sweep runs sends nothing twice unless both run
    in the same instant."""
    now = now or timezone.now()
    unsent = list(
        Notification.objects.filter(
            emailed_at__isnull=True,
            email_wanted=True,
            created_at__lt=now - timedelta(minutes=settings.LENDING_EMAIL_STUCK_MINUTES),
            created_at__gte=now - timedelta(hours=settings.LENDING_EMAIL_RESEND_HOURS),
        )
        .order_by("created_at", "id")
        .values_list("id", flat=True)[:RESEND_LIMIT]
    )
    for start in range(0, len(unsent), EMAIL_CHUNK):
        enqueue_on_commit("lending.notification_emails", unsent[start : start + EMAIL_CHUNK])
    return len(unsent)


def notifications_mark_read(*, user, up_to_id: int | None = None) -> int:
    """Mark the unread notifications of `user` read; return how many were unread.

    With `up_to_id` (the newest notification the user was shown), only those with an id up
    to it: one that arrived after the page was loaded stays unread, since the user has not
    seen it. Ids only grow, so "id <= the newest seen" is exactly "already there then".
    """
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if up_to_id is not None:
        unread = unread.filter(pk__lte=up_to_id)
    return unread.update(read_at=timezone.now())


def notification_mark_read(*, user, notification_id: int) -> Notification:
    """Mark one of the user's own notifications read (again is a no-op). Another user's
    notification is NotFound, as if it did not exist: its id reveals nothing."""
    notification = Notification.objects.filter(user=user, pk=notification_id).first()
    if notification is None:
        raise NotFound()
    if notification.read_at is None:
        now = timezone.now()
        # Conditional on still unread, so a concurrent mark keeps the first time.
        if Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=now
        ):
            notification.read_at = now
        else:
            notification.refresh_from_db(fields=["read_at"])
    return notification
