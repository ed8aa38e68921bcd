"""Install the embedded (SQLite) append-only triggers of 0002 again: 0005 altered columns
of both ledger tables, and SQLite alters a column by rebuilding its table, which drops the
table's triggers. PostgreSQL keeps its triggers through ALTER TABLE: nothing to do there.

Any later migration that alters these tables on SQLite must end the same way."""

from django.db import migrations

TABLES = ("custody_posting", "custody_journalentry")
SQLITE_TRIGGER = """CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table}
    BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;"""


def reinstall(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(SQLITE_TRIGGER.format(table=table))


class Migration(migrations.Migration):
    dependencies = [("custody", "0006_request_key_fits_any_idempotency_key")]

    operations = [migrations.RunPython(reinstall, migrations.RunPython.noop)]
