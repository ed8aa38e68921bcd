"""Products: ops create and change them in the admin, and every change is audited.

A change applies to applications from then on. It never reprices a listed loan: a loan
keeps the rate decided at its review and copies the product's fees when it is listed
(Product.listing_terms).
"""

from decimal import Decimal

from django.db import transaction

from core.audit import SYSTEM, AuditContext, audit_record
from lending.models import Product


def _terms(product: Product) -> dict:
    """The product's fields as the audit trail keeps them: Decimals as strings at the
    column's scale, so 0.02 typed in the admin and the stored 0.020000 compare equal."""
    terms = {}
    for field in Product._meta.concrete_fields:
        if field.primary_key:
            continue
        value = field.value_from_object(product)
        if isinstance(value, Decimal):
            value = str(value.quantize(Decimal(1).scaleb(-field.decimal_places)))
        terms[field.name] = value
    return terms


@transaction.atomic
def product_save(*, product: Product, actor, context: AuditContext = SYSTEM) -> Product:
    """Create or change `product` and audit it in the same transaction: all fields on
    creation, the changed fields' before and after on a change."""
    if product.pk is None:
        product.save()
        audit_record(
            action="lending.product_created",
            subject_type="product",
            subject_id=product.pk,
            actor=actor,
            after=_terms(product),
            context=context,
        )
        return product
    before = _terms(Product.objects.select_for_update().get(pk=product.pk))
    after = _terms(product)
    changed = sorted(name for name in after if after[name] != before.get(name))
    product.save()
    if changed:
        audit_record(
            action="lending.product_changed",
            subject_type="product",
            subject_id=product.pk,
            actor=actor,
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
            context=context,
        )
    return product
