"""The borrower's money figures on the dashboard: due now, the next payment and the principal
outstanding across the loans they are repaying, with their wallet's available balance."""

from django import template
from django.conf import settings

from custody.selectors import wallet_balance
from lending.business_date import business_date
from lending.positions import borrower_totals

register = template.Library()


@register.inclusion_tag("lending/_borrower_summary.html", takes_context=True)
def borrower_summary(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"totals": None}
    return {
        "totals": borrower_totals(user, as_of=business_date(), currency=settings.PLATFORM_CURRENCY),
        "wallet": wallet_balance(user_id=user.pk),
    }
