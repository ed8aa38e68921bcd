"""The audit trail: hash-chained, append-only in the database, safe under concurrency."""

from functools import partial

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from core.audit import SYSTEM, AuditContext, AuditEvent, audit_chain_verify, audit_record
from tests.concurrency import race


def _record(n: int, **extra):
    return audit_record(
        action="test.action", subject_type="thing", subject_id=n, after={"n": n}, **extra
    )


@pytest.mark.django_db
def test_audit_record_chains_each_event_to_the_previous():
    first, second = _record(1), _record(2)
    assert second.prev_hash == first.hash
    assert audit_chain_verify() == (True, None)


@pytest.mark.django_db
def test_audit_event_refuses_update_and_delete_in_python():
    event = _record(1)
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()


@pytest.mark.postgres
@pytest.mark.django_db
def test_database_refuses_update_and_delete_of_audit_events():
    _record(1)
    for sql in (
        "UPDATE compliance_auditevent SET action = 'forged'",
        "DELETE FROM compliance_auditevent",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditEvent.objects.get().action == "test.action"


@pytest.mark.postgres
@pytest.mark.django_db
def test_database_refuses_truncate_of_audit_events_outside_test_maintenance():
    _record(1)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL p2p.allow_truncate = 'off'")
        cursor.execute("TRUNCATE compliance_auditevent CASCADE")
    assert AuditEvent.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db
def test_chain_verification_finds_a_tampered_event():
    events = [_record(n) for n in range(5)]
    with connection.cursor() as cursor:
        # Only a superuser bypassing the trigger can do this; verification still catches it.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE compliance_auditevent DISABLE TRIGGER USER")
        cursor.execute(
            "UPDATE compliance_auditevent SET after = '{\"n\": 99}' WHERE id = %s", [events[2].id]
        )
        cursor.execute("ALTER TABLE compliance_auditevent ENABLE TRIGGER USER")
    assert audit_chain_verify() == (False, events[2].id)


@pytest.mark.django_db
def test_audit_record_takes_the_actor_and_the_context_of_the_request(rf, make_user):
    user = make_user()
    request = rf.post("/", REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="Probe/1.0")
    event = audit_record(
        action="login.failed",
        subject_type="user",
        subject_id=user.id,
        actor=user,
        context=AuditContext.of(request),
    )
    assert (event.actor_id, event.actor_label, event.ip_address, event.user_agent) == (
        user.id,
        user.email,
        "203.0.113.7",
        "Probe/1.0",
    )
    assert audit_chain_verify() == (True, None)


@pytest.mark.django_db
def test_events_without_a_user_agent_hash_as_before(make_user):
    """An event with no user agent hashes exactly the fields it always did, so a chain
    written before the user agent was recorded still verifies."""
    from core.audit import _hashed_fields

    event = audit_record(action="x", subject_type="user", subject_id=1, context=SYSTEM)
    assert "user_agent" not in _hashed_fields(event)
    assert audit_chain_verify() == (True, None)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_unbroken_chain():
    writers, per_writer = 8, 15

    def write(worker: int):
        for i in range(per_writer):
            with transaction.atomic():
                _record(worker * 1000 + i)

    race(*(partial(write, w) for w in range(writers))).results()
    assert AuditEvent.objects.count() == writers * per_writer
    assert audit_chain_verify() == (True, None)


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "198.51.100.9", "10.0.0.1"),  # direct: a client-written header is ignored
        (1, "198.51.100.9", "198.51.100.9"),  # one proxy appended the client
        (1, "6.6.6.6, 198.51.100.9", "198.51.100.9"),  # spoofed entry left of it ignored
        (2, "198.51.100.9, 192.0.2.1", "198.51.100.9"),
        (1, "", "10.0.0.1"),  # header missing: the proxy itself
        (1, "not-an-ip", "10.0.0.1"),
    ],
)
def test_client_ip_trusts_only_the_configured_proxies(rf, settings, proxies, forwarded, expected):
    from core.audit import client_ip

    settings.TRUSTED_PROXY_COUNT = proxies
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


@pytest.mark.django_db
def test_audit_record_many_appends_in_order_on_one_chain():
    from core.audit import audit_record_many

    first = _record(0)
    events = audit_record_many(
        [
            {
                "action": "test.batch",
                "subject_type": "thing",
                "subject_id": n,
                "context": AuditContext(ip_address=ip),
            }
            for n, ip in ((1, "192.0.2.1"), (2, None), (3, "2001:db8::1"))
        ]
    )
    assert [e.subject_id for e in events] == ["1", "2", "3"]
    assert events[0].prev_hash == first.hash
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    stored = list(AuditEvent.objects.filter(action="test.batch").order_by("id"))
    assert [e.ip_address for e in stored] == ["192.0.2.1", None, "2001:db8::1"]
    assert audit_chain_verify() == (True, None)
    assert audit_record_many([]) == []


@pytest.mark.django_db
def test_the_database_refuses_a_second_event_with_the_same_hash():
    event = audit_record(action="test.first", subject_type="x", subject_id=1)
    twin = AuditEvent(action="test.twin", subject_type="x", subject_id=2)
    twin.prev_hash, twin.hash = event.hash, event.hash
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.bulk_create([twin])


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_audit_table_has_no_pattern_indexes_to_maintain_on_every_append():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'compliance_auditevent'")
        names = sorted(row[0] for row in cursor.fetchall())
    assert not [n for n in names if n.endswith("_like")], names
    assert "compliance_audit_hash" in names and "compliance_audit_action" in names
