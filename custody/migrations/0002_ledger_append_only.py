"""Make postings and journal entries append-only in the database, and refuse UPDATE,
DELETE and TRUNCATE to everyone but the table owner (REVOKE) and to the owner (trigger)."""

from django.db import migrations

TABLES = ("custody_posting", "custody_journalentry")

PG_SQL = """
CREATE OR REPLACE FUNCTION custody_refuse_change() RETURNS trigger AS $$
BEGIN
    -- Corrections are reversing entries. Test databases are emptied between tests with
    -- TRUNCATE; only a session that sets p2p.allow_truncate (the test settings do) may.
    IF TG_OP = 'TRUNCATE' AND current_setting('p2p.allow_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'table % is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""
PG_TABLE_SQL = """
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION custody_refuse_change();
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION custody_refuse_change();
REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM PUBLIC;
"""
# A decided adjustment is final: its entry is the record of what happened.
PG_ADJUSTMENT_SQL = """
CREATE OR REPLACE FUNCTION custody_refuse_decided_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.status <> 'proposed' THEN
        RAISE EXCEPTION 'a decided adjustment is final' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER custody_adjustmentrequest_final BEFORE UPDATE OR DELETE ON custody_adjustmentrequest
    FOR EACH ROW EXECUTE FUNCTION custody_refuse_decided_change();
"""
PG_DROP_SQL = """
DROP TRIGGER IF EXISTS {table}_append_only ON {table};
DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};
"""
# SQLite (embedded mode) refuses UPDATE. A later migration that makes SQLite rebuild
# these tables (e.g. adding a constraint) drops the triggers and must install them again; DELETE stays possible so the test runner can empty tables between tests (the model and admin refuse it everywhere).
SQLITE_SQL = """CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
    BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;"""


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_SQL, params=None)
        for table in TABLES:
            schema_editor.execute(PG_TABLE_SQL.format(table=table), params=None)
        schema_editor.execute(PG_ADJUSTMENT_SQL, params=None)
    elif vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(SQLITE_SQL.format(table=table))


def uninstall(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS custody_adjustmentrequest_final ON custody_adjustmentrequest"
        )
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(PG_DROP_SQL.format(table=table), params=None)
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")


class Migration(migrations.Migration):
    dependencies = [("custody", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall)]
