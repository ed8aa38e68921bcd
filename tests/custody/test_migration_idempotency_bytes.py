"""Migration 0009: idempotency records stored before it (parsed JSON) stay replayable as the
bytes their replays returned; the reverse gives the JSON back."""

import json
from types import SimpleNamespace

import pytest
from rest_framework.renderers import JSONRenderer

from core.idempotency import request_fingerprint
from tests.migrating import migrate_to, migrate_to_latest

BEFORE = [("custody", "0008_public_text_validators")]
AFTER = [("custody", "0009_idempotency_response_bytes")]
BODY = {"id": 41, "status": "pending", "amount": "10.00", "memo": "存入 ¥10"}


@pytest.mark.django_db(transaction=True)
def test_records_stored_as_json_stay_replayable_and_migrate_back(make_user):
    user = make_user("investor")
    raw = json.dumps({"amount": "10.00"}).encode()
    fingerprint = request_fingerprint(
        SimpleNamespace(method="POST", path="/api/v1/wallet/deposits", body=raw)
    )
    apps = migrate_to(BEFORE)
    try:
        Record = apps.get_model("custody", "IdempotencyRecord")
        done = Record.objects.create(
            user_id=user.pk,
            key="old-done",
            fingerprint=fingerprint,
            state="done",
            response_status=201,
            response_body=BODY,
        )
        running = Record.objects.create(
            user_id=user.pk, key="old-running", fingerprint=fingerprint, state="in_progress"
        )
        # What a replay returned before: the stored JSON as read back, rendered by DRF.
        before = JSONRenderer().render(Record.objects.get(pk=done.pk).response_body)

        apps = migrate_to(AFTER)
        Record = apps.get_model("custody", "IdempotencyRecord")
        migrated = Record.objects.get(pk=done.pk)
        assert bytes(migrated.response_content) == before
        assert migrated.response_content_type == "application/json"
        assert migrated.response_headers == {}
        assert Record.objects.get(pk=running.pk).response_content is None

        migrate_to_latest()
        from rest_framework.test import APIClient

        client = APIClient()
        client.force_authenticate(user)
        replay = client.post(
            "/api/v1/wallet/deposits",
            data=raw,
            content_type="application/json",
            headers={"Idempotency-Key": "old-done"},
        )
        assert replay.status_code == 201
        assert replay.content == before
        assert replay["Idempotent-Replayed"] == "true"

        apps = migrate_to(BEFORE)
        restored = apps.get_model("custody", "IdempotencyRecord").objects.get(pk=done.pk)
        assert restored.response_body == BODY
    finally:
        migrate_to_latest()
