"""A product's terms as rules: whether an application's amount, term and method are offered,
and the service fee taken at disbursement. One home for the application form's preview, the
submission and the disbursement."""

from decimal import Decimal

from django.utils.translation import gettext as _

from core import money
from lending import errors
from lending.cost import service_fee
from lending.models import Product
from lending.schedules import Method

__all__ = ["ensure_application_terms", "service_fee"]


def ensure_application_terms(*, product: Product, amount: Decimal, term_months: int, method: str):
    """Refuse terms the product does not offer (shared by the preview and submission)."""
    if not product.is_active:
        raise errors.ProductUnavailable()
    if not (product.min_amount <= amount <= product.max_amount):
        raise errors.AmountOutOfRange(
            _("The amount must be between %(min)s and %(max)s.")
            % {
                "min": money.display(product.min_amount, product.currency),
                "max": money.display(product.max_amount, product.currency),
            }
        )
    if term_months not in (product.term_options or []):
        raise errors.TermNotOffered()
    if method not in (product.methods or []) or method not in Method.ALL:
        raise errors.MethodNotOffered()
