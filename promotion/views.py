"""Promotion pages: the user's marketing consent, and "Refer a friend"."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.decorators import customer_required
from core.audit import AuditContext
from promotion import selectors
from promotion.models import ConsentSource
from promotion.services.consent import consent_set
from promotion.services.referrals import referral_code_get, referral_link


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


@customer_required
@require_http_methods(["GET"])
def referral_page(request):
    """The user's referral link with a copy button, the rules, and the friends they
    referred (masked) with each reward's status. A user without a verified identity is
    asked to verify first: rewards are paid to known people only."""
    verified = selectors.is_identity_verified(request.user)
    code = referral_code_get(request.user).code if verified else None
    lines = selectors.referral_lines(request.user)
    return render(
        request,
        "promotion/referral_page.html",
        {
            "verified": verified,
            "code": code,
            "link": referral_link(code) if code else "",
            "lines": lines,
            "earned": selectors.referral_earned(request.user),
            "rewarded_count": sum(1 for line in lines if line.status == "rewarded"),
            "rules": selectors.referral_rules(),
        },
    )
