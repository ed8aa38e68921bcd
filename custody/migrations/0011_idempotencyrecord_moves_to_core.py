"""IdempotencyRecord now belongs to core (state only: the table stays as it is)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0001_initial'),
        ('custody', '0010_movement_enqueued_at'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[migrations.DeleteModel(name='IdempotencyRecord')],
        ),
    ]
