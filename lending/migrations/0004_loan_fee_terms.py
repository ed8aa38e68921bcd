# Copy the fee terms onto each loan, so a later product change never reprices a listed loan.

from django.db import migrations, models
from django.db.models import OuterRef, Subquery

TERMS = ["service_fee_rate", "platform_fee_rate", "late_fee_amount", "penalty_daily_rate", "grace_days"]


def copy_terms_from_product(apps, schema_editor):
    """Existing loans take their product's current terms: the best record there is of what
    they were listed at."""
    Loan = apps.get_model("lending", "Loan")
    Product = apps.get_model("lending", "Product")
    product = Product.objects.filter(pk=OuterRef("product_id"))
    Loan.objects.update(**{name: Subquery(product.values(name)[:1]) for name in TERMS})


def _rate(help_text, null):
    return models.DecimalField(decimal_places=6, max_digits=7, help_text=help_text, null=null)


class Migration(migrations.Migration):

    dependencies = [
        ('lending', '0003_loan_auto_invest_done'),
    ]

    operations = [
        migrations.AddField(
            model_name='loan',
            name='service_fee_rate',
            field=_rate('Fraction of the principal taken at disbursement.', True),
        ),
        migrations.AddField(
            model_name='loan',
            name='platform_fee_rate',
            field=_rate('Fraction of interest kept by the platform.', True),
        ),
        migrations.AddField(
            model_name='loan',
            name='late_fee_amount',
            field=models.DecimalField(decimal_places=2, max_digits=14, null=True),
        ),
        migrations.AddField(
            model_name='loan',
            name='penalty_daily_rate',
            field=models.DecimalField(decimal_places=6, max_digits=7, null=True),
        ),
        migrations.AddField(
            model_name='loan',
            name='grace_days',
            field=models.PositiveSmallIntegerField(null=True),
        ),
        migrations.RunPython(copy_terms_from_product, migrations.RunPython.noop),
    ]
