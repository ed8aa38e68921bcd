"""AuditEvent now belongs to core (state only: the table stays as it is)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0001_initial'),
        ('compliance', '0003_audit_plain_indexes'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[migrations.DeleteModel(name='AuditEvent')],
        ),
    ]
