"""The loan page's holder-only disclosure block: lending's loan page loads this tag (a
template name, not an import), so lending never imports disclosure."""

from django import template

from disclosure.services.loan_disclosure import loan_holder_disclosure

register = template.Library()


@register.inclusion_tag("disclosure/_loan_disclosure.html", takes_context=True)
def loan_holder_disclosure_block(context, loan) -> dict:
    """Empty for anyone who holds no ticket in `loan` (anonymous, other investors, staff)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"disclosure": loan_holder_disclosure(user, loan) if user else None}
