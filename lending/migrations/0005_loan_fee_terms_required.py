# The fee terms every loan now carries are required; a separate migration so the backfill's
# row updates are committed before the ALTER TABLE on PostgreSQL.

from django.db import migrations, models


def _rate(help_text):
    return models.DecimalField(decimal_places=6, max_digits=7, help_text=help_text)


class Migration(migrations.Migration):

    dependencies = [
        ('lending', '0004_loan_fee_terms'),
    ]

    operations = [
        migrations.AlterField(
            model_name='loan',
            name='service_fee_rate',
            field=_rate('Fraction of the principal taken at disbursement.'),
        ),
        migrations.AlterField(
            model_name='loan',
            name='platform_fee_rate',
            field=_rate('Fraction of interest kept by the platform.'),
        ),
        migrations.AlterField(
            model_name='loan',
            name='late_fee_amount',
            field=models.DecimalField(decimal_places=2, max_digits=14),
        ),
        migrations.AlterField(
            model_name='loan',
            name='penalty_daily_rate',
            field=models.DecimalField(decimal_places=6, max_digits=7),
        ),
        migrations.AlterField(
            model_name='loan',
            name='grace_days',
            field=models.PositiveSmallIntegerField(),
        ),
        migrations.AddConstraint(
            model_name='loan',
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ('service_fee_rate__gte', 0),
                    ('service_fee_rate__lt', 1),
                    ('platform_fee_rate__gte', 0),
                    ('platform_fee_rate__lt', 1),
                    ('late_fee_amount__gte', 0),
                    ('penalty_daily_rate__gte', 0),
                ),
                name='lending_loan_fees_in_range',
            ),
        ),
    ]
