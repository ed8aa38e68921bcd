"""Notify a user: a stored notification, and an email sent after the transaction commits;
the user marks their notifications read."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from config.errors import NotFound
from lending.models import Notification


def notification_send(
    *, user, kind: str, title: str, body: str = "", subject_type: str = "", subject_id=""
) -> Notification:
    notification = Notification.objects.create(
        user=user,
        kind=kind,
        title=title,
        body=body,
        subject_type=subject_type,
        subject_id=str(subject_id),
    )
    email = user.email
    subject = f"{getattr(settings, 'ACCOUNT_EMAIL_SUBJECT_PREFIX', '')}{title}"
    transaction.on_commit(
        lambda: send_mail(subject, body or title, None, [email], fail_silently=True)
    )
    return notification


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
