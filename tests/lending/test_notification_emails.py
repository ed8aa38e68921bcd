"""Notification emails leave through a Celery task enqueued after commit: no request waits on
the mail server, each notification is emailed once, a real worker sends them, and the sweep
sends those whose task was lost."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from lending.models import Notification
from lending.services.notifications import (
    notification_emails_resend,
    notification_emails_send,
    notification_send_many,
)
from lending.tasks import lost_work_resend_task
from tests.worker import worker_running


def _send_to(users):
    return notification_send_many(
        users=users, kind="loan_funded", title="Loan LN1 is fully funded", body="Details."
    )


@pytest.mark.django_db
def test_many_users_get_one_notification_each_and_one_email_task_after_commit(
    make_user, mailoutbox, django_capture_on_commit_callbacks, monkeypatch
):
    from lending import tasks

    users = [make_user("investor") for _ in range(3)]
    enqueued = []
    monkeypatch.setattr(tasks.notification_emails_task, "delay", enqueued.append)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notifications = _send_to(users)
        assert enqueued == []  # nothing leaves before the transaction commits
    assert len(callbacks) == 1
    assert enqueued == [[n.pk for n in notifications]]
    assert [n.user_id for n in notifications] == [u.pk for u in users]
    assert mailoutbox == []  # the request itself sends nothing


@pytest.mark.django_db
def test_each_notification_is_emailed_once(make_user, mailoutbox):
    users = [make_user("investor") for _ in range(2)]
    ids = [n.pk for n in _send_to(users)]
    assert notification_emails_send(notification_ids=ids) == 2
    assert sorted(m.to[0] for m in mailoutbox) == sorted(u.email for u in users)
    assert mailoutbox[0].subject.endswith("Loan LN1 is fully funded")
    assert mailoutbox[0].body == "Details."
    assert notification_emails_send(notification_ids=ids) == 0  # a redelivered task
    assert len(mailoutbox) == 2
    assert not Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).exists()


@pytest.mark.django_db
def test_an_email_about_a_loan_links_to_it_as_its_reader_sees_it(
    open_loan, investor, mailoutbox, settings
):
    settings.SITE_URL = "https://p2p.example.com/"
    ids = [
        n.pk
        for n in notification_send_many(
            users=[open_loan.borrower, investor],
            kind="loan_funded",
            title="Loan is fully funded",
            body="Details.",
            subject_type="loan",
            subject_id=open_loan.pk,
        )
    ]
    assert notification_emails_send(notification_ids=ids) == 2
    body = {m.to[0]: m.body for m in mailoutbox}
    assert body[open_loan.borrower.email] == (
        f"Details.\n\nSee it on the platform: https://p2p.example.com/borrow/loans/{open_loan.pk}/"
    )
    assert body[investor.email].endswith(f"https://p2p.example.com/marketplace/{open_loan.pk}/")


@pytest.mark.django_db
def test_a_mail_server_failure_leaves_the_rest_for_the_retry(make_user, mailoutbox, monkeypatch):
    from lending.services import notifications

    users = [make_user("investor") for _ in range(3)]
    ids = [n.pk for n in _send_to(users)]
    real_send_mail = notifications.send_mail
    calls = []

    def fails_on_the_second(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise OSError("connection refused")
        return real_send_mail(*args, **kwargs)

    monkeypatch.setattr(notifications, "send_mail", fails_on_the_second)
    with pytest.raises(OSError):
        notification_emails_send(notification_ids=ids)
    assert Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).count() == 2
    assert notification_emails_send(notification_ids=ids) == 2  # the retry sends the rest
    assert sorted(m.to[0] for m in mailoutbox) == sorted(u.email for u in users)


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_emails_the_notifications(make_user, mailoutbox):
    users = [make_user("investor") for _ in range(3)]
    with worker_running("lending.notification_emails") as ran:
        with transaction.atomic():
            ids = [n.pk for n in _send_to(users)]
        assert ran["lending.notification_emails"].wait(60), "the worker sent no emails"
    assert sorted(m.to[0] for m in mailoutbox) == sorted(u.email for u in users)
    assert not Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).exists()


def _lost(users, *, minutes_ago: int, **fields):
    """Notifications whose email task never reached the broker (no enqueue), made
    `minutes_ago` minutes ago."""
    notifications = Notification.objects.bulk_create(
        [Notification(user=u, kind="loan_funded", title="Funded", **fields) for u in users]
    )
    ids = [n.pk for n in notifications]
    Notification.objects.filter(pk__in=ids).update(
        created_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return ids


@pytest.mark.django_db
def test_the_sweep_enqueues_again_only_the_emails_that_were_lost(
    make_user, settings, django_capture_on_commit_callbacks
):
    settings.LENDING_EMAIL_STUCK_MINUTES = 15
    settings.LENDING_EMAIL_RESEND_HOURS = 72
    user = make_user("investor")
    lost = _lost([user], minutes_ago=20)
    _lost([user], minutes_ago=2)  # its task is most likely still on its way
    _lost([user], minutes_ago=20, email_wanted=False)  # a payout: never emailed
    _lost([user], minutes_ago=20, emailed_at=timezone.now())  # already sent
    _lost([user], minutes_ago=73 * 60)  # too old to be news by email
    with django_capture_on_commit_callbacks() as callbacks:
        assert notification_emails_resend() == 1
    assert [c.args for c in callbacks] == [("lending.notification_emails", (lost,))]


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_what_the_sweep_found(make_user, mailoutbox, settings):
    settings.LENDING_EMAIL_STUCK_MINUTES = 15
    users = [make_user("investor") for _ in range(2)]
    ids = _lost(users, minutes_ago=30)
    with worker_running("lending.notification_emails") as ran:
        lost_work_resend_task.delay()
        assert ran["lending.notification_emails"].wait(60), "the worker sent no emails"
    assert sorted(m.to[0] for m in mailoutbox) == sorted(u.email for u in users)
    assert not Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).exists()
    assert notification_emails_resend() == 0  # nothing left to sweep
