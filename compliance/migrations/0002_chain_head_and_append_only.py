"""Create the audit chain's head row and make audit events append-only in PostgreSQL."""

from django.db import migrations

APPEND_ONLY_SQL = """
CREATE OR REPLACE FUNCTION compliance_refuse_change() RETURNS trigger AS $$
BEGIN
    -- Test databases are emptied between tests with TRUNCATE; only a session that sets
    -- p2p.allow_truncate (the test settings do) may do that. Nothing may UPDATE or DELETE.
    IF TG_OP = 'TRUNCATE' AND current_setting('p2p.allow_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'table % is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER compliance_auditevent_append_only
    BEFORE UPDATE OR DELETE ON compliance_auditevent
    FOR EACH ROW EXECUTE FUNCTION compliance_refuse_change();
CREATE TRIGGER compliance_auditevent_no_truncate
    BEFORE TRUNCATE ON compliance_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION compliance_refuse_change();
"""
DROP_SQL = """
DROP TRIGGER IF EXISTS compliance_auditevent_no_truncate ON compliance_auditevent;
DROP TRIGGER IF EXISTS compliance_auditevent_append_only ON compliance_auditevent;
"""

SQLITE_SQL = [
    """CREATE TRIGGER compliance_auditevent_no_update BEFORE UPDATE ON compliance_auditevent
       BEGIN SELECT RAISE(ABORT, 'compliance_auditevent is append-only'); END;""",
    """CREATE TRIGGER compliance_auditevent_no_delete BEFORE DELETE ON compliance_auditevent
       BEGIN SELECT RAISE(ABORT, 'compliance_auditevent is append-only'); END;""",
]


def create_head(apps, schema_editor):
    apps.get_model("compliance", "AuditChainHead").objects.get_or_create(pk=1)


def install_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY_SQL, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_SQL:
            schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL)
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS compliance_auditevent_no_update")
        schema_editor.execute("DROP TRIGGER IF EXISTS compliance_auditevent_no_delete")


class Migration(migrations.Migration):
    dependencies = [("compliance", "0001_initial")]

    operations = [
        migrations.RunPython(create_head, migrations.RunPython.noop),
        migrations.RunPython(install_triggers, drop_triggers),
    ]
