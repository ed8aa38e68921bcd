"""The dashboard's money figures for the lending roles (the dashboard belongs to accounts,
which knows no lending: its template asks these tags)."""

from django import template

from custody.selectors import wallet_balance
from lending.portfolio import portfolio_summary

register = template.Library()


@register.inclusion_tag("lending/_dashboard_investor.html", takes_context=True)
def investor_money(context):
    """Balance, money lent and still outstanding, earned after fees, and the next payment."""
    user = context["request"].user
    return {
        "balance": wallet_balance(user_id=user.pk),
        "portfolio": portfolio_summary(user),
    }
