"""Record on each application the kind of borrower it was made by (individual or
enterprise), so its caps stay the kind's at application time. Existing applications take the
kind their borrower has now: before this field, the review read the kind the same way."""

from django.db import migrations, models


def backfill_enterprise_kind(apps, schema_editor):
    Application = apps.get_model("lending", "Application")
    Enterprise = apps.get_model("accounts", "Enterprise")
    companies = Enterprise.objects.values("user_id")
    Application.objects.filter(borrower_id__in=companies).update(borrower_kind="enterprise")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_enterprise_borrowers"),
        ("lending", "0007_blocklist_credit_code"),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="borrower_kind",
            field=models.CharField(
                choices=[("individual", "Individual"), ("enterprise", "Enterprise")],
                default="individual",
                max_length=12,
            ),
        ),
        migrations.RunPython(backfill_enterprise_kind, migrations.RunPython.noop),
    ]
