"""Notify a user: a stored notification, and an email sent after the transaction commits."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

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
