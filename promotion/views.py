"""Promotion pages: the user's marketing consent."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.decorators import customer_required
from core.audit import AuditContext
from promotion import selectors
from promotion.models import ConsentSource
from promotion.services.consent import consent_set


@customer_required
@require_http_methods(["GET", "POST"])
def marketing_consent(request):
    """Give or withdraw marketing consent; the page shows the answer and its history."""
    if request.method == "POST":
        granted = request.POST.get("granted") == "yes"
        consent_set(
            user=request.user,
            granted=granted,
            source=ConsentSource.SETTINGS,
            context=AuditContext.of(request),
        )
        if granted:
            messages.success(request, _("Thank you: we will send you news and offers."))
        else:
            messages.success(request, _("Done: we will not send you marketing any more."))
        return redirect("promotion:marketing-consent")
    return render(
        request,
        "promotion/marketing_consent.html",
        {
            "granted": selectors.consent_granted(request.user),
            "changes": selectors.consent_history(request.user)[:10],
        },
    )
