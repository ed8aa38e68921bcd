"""Pages of accounts: home, dashboard, the onboarding wizard and account settings.

Every form posts to the same service the API calls; views only validate shape and render.
"""

from dataclasses import replace

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from accounts import credit_code, lockout, selectors, services
from accounts.adapters.identity import (
    SandboxIdentityProvider,
    SandboxTestValues,
    identity_provider,
    sandbox_test_values,
)
from accounts.decorators import customer_required
from accounts.errors import (
    ENTERPRISE_REASON_MESSAGES,
    IDENTITY_REASON_MESSAGES,
    LoginUnlockInvalid,
)
from accounts.forms import (
    BorrowerProfileForm,
    EnterpriseForm,
    IdentityForm,
    InvestorProfileForm,
    RolesForm,
)
from accounts.language import remember_language, supported
from accounts.staff_work import staff_work
from core.audit import AuditContext, client_ip
from core.errors import DomainError
from core.policies import RISK_KEYS

STEP_URLS = {
    "identity": "accounts:onboarding-identity",
    "roles": "accounts:onboarding-roles",
    "investor": "accounts:onboarding-investor",
    "borrower": "accounts:onboarding-borrower",
    "enterprise": "accounts:onboarding-enterprise",
}


def _steps(state, current: str) -> list[dict]:
    """The wizard's step indicator: identity, roles, then the profiles the roles need."""
    wanted = ["identity", "roles"]
    if state.is_investor or not state.is_borrower:
        wanted.append("investor")
    if state.is_borrower:
        # Optional: only borrowers who borrow for a company register one.
        wanted.append("enterprise")
    if state.is_borrower or not state.is_investor:
        wanted.append("borrower")
    labels = {
        "identity": _("Verify identity"),
        "roles": _("Choose roles"),
        "investor": _("Investor profile"),
        "enterprise": _("Company"),
        "borrower": _("Borrower profile"),
    }
    done = {
        "identity": state.is_verified,
        "roles": state.is_investor or state.is_borrower,
        "investor": state.investor_profile is not None,
        "enterprise": state.is_enterprise,
        "borrower": state.borrower_profile is not None,
    }
    optional = not (state.is_investor or state.is_borrower)
    notes = {"enterprise": _("if you borrow for a company")}
    if optional:
        notes.update(investor=_("if you invest / borrow"), borrower=_("if you invest / borrow"))
    return [
        {
            "key": key,
            "number": number,
            "label": labels[key],
            "done": done[key],
            "current": key == current,
            "note": notes.get(key, ""),
            "url": reverse(STEP_URLS[key]),
        }
        for number, key in enumerate(wanted, start=1)
    ]


def _posted(request):
    # Not `request.POST or None`: an empty POST must still bind, and fail, the form.
    return request.POST if request.method == "POST" else None


def _next(state) -> str:
    step = state.next_step
    return reverse(STEP_URLS[step]) if step else reverse("accounts:dashboard")


def _add_refusal_errors(form, exc: DomainError, messages_by_reason: dict[str, str]) -> None:
    """Show each reason of a refusal next to the field it concerns (the form's
    REASON_FIELDS), or above the form when it concerns none."""
    for reason in exc.context.get("reasons", exc.code).split(","):
        form.add_error(form.REASON_FIELDS.get(reason), messages_by_reason.get(reason, exc.message))


def home(request):
    return render(request, "accounts/home.html")


def login_unlock(request, token: str):
    """The emailed unlock link: a page with a button (a mail scanner that fetches the link
    must not use it up), whose POST opens sign-in for this device and goes to sign-in."""
    try:
        if request.method == "POST":
            lockout.login_unlock_redeem(token=token, request=request)
            messages.success(request, _("Sign-in is unlocked on this device. Sign in now."))
            return redirect("account_login")
        lockout.login_unlock_check(token=token)
    except LoginUnlockInvalid as exc:
        return render(request, "accounts/login_unlock.html", {"error": exc.message}, status=400)
    return render(request, "accounts/login_unlock.html")


@login_required
def dashboard(request):
    state = selectors.onboarding_get(request.user)
    work = staff_work(request.user) if request.user.is_platform_staff else []
    return render(request, "accounts/dashboard.html", {"state": state, "staff_work": work})


@customer_required
def onboarding(request):
    return redirect(_next(selectors.onboarding_get(request.user)))


def _sandbox_test_values(user) -> SandboxTestValues | None:
    """Test details for the identity page, only in demo and dev setups (DEMO_DATA_ALLOWED)
    running the sandbox provider: a real provider would refuse made-up numbers."""
    if not settings.DEMO_DATA_ALLOWED or not isinstance(
        identity_provider(), SandboxIdentityProvider
    ):
        return None
    return sandbox_test_values(user.pk)


@customer_required
@sensitive_post_parameters("legal_name", "national_id", "phone", "bank_card")
def onboarding_identity(request):
    state = selectors.onboarding_get(request.user)
    if state.is_verified:
        return redirect(_next(state))
    sandbox = _sandbox_test_values(request.user)
    filled = {}
    if sandbox is not None and request.GET.get("fill") == "sandbox":
        filled = {
            f: getattr(sandbox, f) for f in ("legal_name", "national_id", "phone", "bank_card")
        }
    form = IdentityForm(_posted(request), initial=filled)
    if request.method == "POST" and form.is_valid():
        try:
            services.identity_submit(
                user=request.user,
                client_ip=client_ip(request),
                context=AuditContext.of(request),
                **form.cleaned_data,
            )
        except DomainError as exc:
            _add_refusal_errors(form, exc, IDENTITY_REASON_MESSAGES)
            state = selectors.onboarding_get(request.user)
        else:
            messages.success(request, _("Your identity is verified."))
            return redirect(_next(selectors.onboarding_get(request.user)))
    return render(
        request,
        "accounts/onboarding_identity.html",
        {"form": form, "state": state, "steps": _steps(state, "identity"), "sandbox": sandbox},
    )


@customer_required
def onboarding_roles(request):
    state = selectors.onboarding_get(request.user)
    if not state.is_verified:
        return redirect("accounts:onboarding-identity")
    held = sorted(state.roles & {"investor", "borrower"})
    form = RolesForm(_posted(request), initial={"roles": held})
    if request.method == "POST" and form.is_valid():
        try:
            granted = services.role_grant(
                user=request.user,
                roles=form.cleaned_data["roles"],
                context=AuditContext.of(request),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            if granted:
                role_names = {"investor": _("investor"), "borrower": _("borrower")}
                names = _(" and ").join(role_names.get(role, role) for role in sorted(granted))
                messages.success(
                    request, _("You are now registered as %(roles)s.") % {"roles": names}
                )
            return redirect(_next(selectors.onboarding_get(request.user)))
    return render(
        request,
        "accounts/onboarding_roles.html",
        {"form": form, "state": state, "held": held, "steps": _steps(state, "roles")},
    )


def _suitability_input(form: InvestorProfileForm) -> services.SuitabilityInput:
    data = form.cleaned_data
    return services.SuitabilityInput(
        risk_tolerance=data["risk_tolerance"],
        investment_experience=data["investment_experience"],
        risks_acknowledged=form.acknowledged(),
        annual_income_amount=data["annual_income_amount"],
        net_investible_assets_amount=data["net_investible_assets_amount"],
        investor_type=data["investor_type"],
    )


def _investor_initial(profile) -> dict:
    if profile is None:
        return {"investor_type": "retail"}
    initial = {
        "investor_type": profile.investor_type,
        "risk_tolerance": profile.risk_tolerance,
        "investment_experience": profile.investment_experience,
        "annual_income_amount": profile.annual_income_amount,
        "net_investible_assets_amount": profile.net_investible_assets_amount,
    }
    initial.update({f"risk_{key}": True for key in profile.risks_acknowledged})
    return initial


@customer_required
def onboarding_investor(request):
    state = selectors.onboarding_get(request.user)
    if not state.is_investor:
        messages.info(request, _("Choose the investor role first."))
        return redirect("accounts:onboarding-roles")
    form = InvestorProfileForm(_posted(request), initial=_investor_initial(state.investor_profile))
    if request.method == "POST" and form.is_valid():
        try:
            profile = services.investor_profile_submit(
                user=request.user,
                answers=_suitability_input(form),
                context=AuditContext.of(request),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Your risk level is %(level)s: you may invest in loans graded up to %(grade)s.")
                % {
                    "level": profile.get_risk_level_display().lower(),
                    "grade": profile.max_loan_grade,
                },
            )
            return redirect(_next(selectors.onboarding_get(request.user)))
    shown = (
        form if form.is_bound else InvestorProfileForm(_investor_initial(state.investor_profile))
    )
    return render(
        request,
        "accounts/onboarding_investor.html",
        {"form": form, "state": state, "steps": _steps(state, "investor"), **_preview(shown)},
    )


def _preview(form: InvestorProfileForm) -> dict:
    """The risk level and limits the answers so far would give, or why they cannot."""
    form.is_valid()
    needed = (
        "investor_type",
        "risk_tolerance",
        "investment_experience",
        "annual_income_amount",
        "net_investible_assets_amount",
    )
    if not all(name in form.cleaned_data for name in needed):
        return {"result": None, "error": None}
    # The preview shows the outcome before every risk is ticked; saving still needs all.
    answers = replace(_suitability_input(form), risks_acknowledged=frozenset(RISK_KEYS))
    try:
        return {"result": services.investor_profile_assess(answers), "error": None}
    except DomainError as exc:
        return {"result": None, "error": exc.message}


@customer_required
@require_POST
def onboarding_investor_preview(request):
    """The htmx live preview beside the questionnaire."""
    preview = _preview(InvestorProfileForm(request.POST))
    return render(request, "accounts/_suitability_preview.html", preview)


@customer_required
def onboarding_borrower(request):
    state = selectors.onboarding_get(request.user)
    if not state.is_borrower:
        messages.info(request, _("Choose the borrower role first."))
        return redirect("accounts:onboarding-roles")
    profile = state.borrower_profile
    initial = (
        {
            "employment_status": profile.employment_status,
            "employer": profile.employer,
            "monthly_income_amount": profile.monthly_income_amount,
            "monthly_obligations_amount": profile.monthly_obligations_amount,
            "other_platform_outstanding_amount": profile.other_platform_outstanding_amount,
            "purposes": profile.purposes,
        }
        if profile
        else {
            "other_platform_outstanding_amount": "0.00",
            # A company's legal representative borrowing for it runs the business.
            **({"employment_status": "business_owner"} if state.is_enterprise else {}),
        }
    )
    form = BorrowerProfileForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.borrower_profile_submit(
                user=request.user, context=AuditContext.of(request), **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Your borrower profile is saved."))
            return redirect(_next(selectors.onboarding_get(request.user)))
    return render(
        request,
        "accounts/onboarding_borrower.html",
        {"form": form, "state": state, "steps": _steps(state, "borrower")},
    )


_ENTERPRISE_FIELDS = (
    "company_name",
    "credit_code",
    "legal_representative_name",
    "legal_representative_id",
    "registered_address",
)


@customer_required
@sensitive_post_parameters(*_ENTERPRISE_FIELDS)
def onboarding_enterprise(request):
    """The optional company step: a borrower who is a company's legal representative
    registers it, and the enterprise borrowing caps apply to their applications."""
    state = selectors.onboarding_get(request.user)
    if not state.is_verified:
        return redirect("accounts:onboarding-identity")
    if not state.is_borrower:
        messages.info(request, _("Choose the borrower role first."))
        return redirect("accounts:onboarding-roles")
    form = EnterpriseForm(_posted(request)) if not state.is_enterprise else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            services.enterprise_submit(
                user=request.user, context=AuditContext.of(request), **form.cleaned_data
            )
        except DomainError as exc:
            _add_refusal_errors(form, exc, ENTERPRISE_REASON_MESSAGES)
            state = selectors.onboarding_get(request.user)
        else:
            messages.success(request, _("Your company is registered: enterprise limits apply."))
            return redirect(_next(selectors.onboarding_get(request.user)))
    return render(
        request,
        "accounts/onboarding_enterprise.html",
        {"form": form, "state": state, "steps": _steps(state, "enterprise")},
    )


@customer_required
@require_POST
def onboarding_enterprise_check_code(request):
    """The htmx check of the credit code as it is typed: shape and check character only
    (no registry call, nothing stored)."""
    if not request.user.has_role("borrower"):
        raise PermissionDenied
    value = request.POST.get("credit_code", "")[:40]
    code = credit_code.normalise(value)
    reason = None
    if code:
        reason = credit_code.refusal(code)
        if reason is None and not credit_code.is_market_entity(code):
            reason = "credit_code_not_enterprise"
    return render(
        request,
        "accounts/_credit_code_check.html",
        {"code": code, "reason": reason, "message": ENTERPRISE_REASON_MESSAGES.get(reason)},
    )


@login_required
def account_settings(request):
    state = selectors.onboarding_get(request.user)
    return render(
        request,
        "accounts/account_settings.html",
        {"state": state, "has_totp": selectors.has_totp(request.user)},
    )


@require_POST
def set_language(request):
    """The language switch on every page: Django's set_language (the language cookie, a
    redirect back to `next`), and for a signed-in user their stored language too, which
    their other devices and the emails sent to them follow."""
    response = django_set_language(request)
    code = request.POST.get("language", "")
    if supported(code) is None:
        # Django's view accepts any language it has a catalogue for (fr, de...): only the
        # platform's own languages are remembered.
        response.cookies.pop(settings.LANGUAGE_COOKIE_NAME, None)
    elif request.user.is_authenticated:
        remember_language(request.user, code)
    return response
