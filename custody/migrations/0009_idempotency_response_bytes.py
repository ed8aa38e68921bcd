"""Idempotency records keep the first response's rendered bytes, content type and headers
instead of its parsed JSON (PostgreSQL's jsonb reordered the keys of every replayed body).

Records already done stay replayable: their stored JSON is rendered as DRF's JSONRenderer
renders (compact, UTF-8), which is what their replays returned before, in jsonb's key
order; the first response's own key order was lost when it was stored. The reverse parses
the bytes back into JSON."""

import json

from django.db import migrations, models

BATCH = 500


def _render(body) -> bytes:
    # rest_framework.renderers.JSONRenderer with the project's settings (UNICODE_JSON,
    # COMPACT_JSON and STRICT_JSON all on), spelled out so this migration never changes.
    return json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def bodies_to_bytes(apps, schema_editor):
    Record = apps.get_model("custody", "IdempotencyRecord")
    done = Record.objects.filter(state="done").only("pk", "response_body").order_by("pk")
    batch = []
    for record in done.iterator(chunk_size=BATCH):
        record.response_content = _render(record.response_body)
        record.response_content_type = "application/json"
        batch.append(record)
        if len(batch) == BATCH:
            Record.objects.bulk_update(batch, ["response_content", "response_content_type"])
            batch = []
    Record.objects.bulk_update(batch, ["response_content", "response_content_type"])


def bytes_to_bodies(apps, schema_editor):
    Record = apps.get_model("custody", "IdempotencyRecord")
    done = Record.objects.filter(state="done").only("pk", "response_content").order_by("pk")
    batch = []
    for record in done.iterator(chunk_size=BATCH):
        record.response_body = json.loads(bytes(record.response_content))
        batch.append(record)
        if len(batch) == BATCH:
            Record.objects.bulk_update(batch, ["response_body"])
            batch = []
    Record.objects.bulk_update(batch, ["response_body"])


class Migration(migrations.Migration):
    dependencies = [("custody", "0008_public_text_validators")]

    operations = [
        migrations.AddField(
            model_name="idempotencyrecord",
            name="response_content",
            field=models.BinaryField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="idempotencyrecord",
            name="response_content_type",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="idempotencyrecord",
            name="response_headers",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(bodies_to_bytes, bytes_to_bodies),
        migrations.RemoveField(model_name="idempotencyrecord", name="response_body"),
    ]
