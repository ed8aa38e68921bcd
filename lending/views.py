"""Lending pages: apply with a live schedule preview, applications; the marketplace, loan
disclosure, investing with confirmation, holdings, auto-invest rules and the user's
notifications (the borrower's servicing pages are in lending.views_borrower)."""

import uuid
from decimal import Decimal
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import customer_required
from core import money
from core.audit import AuditContext
from core.errors import DomainError, NotFound
from lending import selectors
from lending.business_date import business_date
from lending.forms import (
    ApplicationForm,
    AutoInvestRuleForm,
    HardshipForm,
    InvestForm,
    MarketplaceFilterForm,
)
from lending.pagination import (
    CachedCountPaginator,
    page_cache_get,
    page_cache_key,
    page_cache_set,
)
from lending.portfolio import investment_list_with_returns, portfolio_summary
from lending.services.applications import application_submit
from lending.services.auto_invest_rules import (
    auto_invest_rule_create,
    auto_invest_rule_delete,
    auto_invest_rule_update,
)
from lending.services.hardship import hardship_preview, hardship_request_submit
from lending.services.investments import (
    cancel_refusal,
    ensure_investment_allowed,
    investment_cancel,
    investment_place,
)
from lending.services.notifications import notifications_mark_read
from lending.services.offers import offer_accept, offer_decline

HUNDRED = Decimal("100")


def _page(request, rows, per_page: int = 20):
    """The `?page=` page of `rows` (the first for a bad number, the last past the end),
    its rows read into a list, ready for templates/lending/_pager.html."""
    page = Paginator(rows, per_page).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    return page


def role_required(role: str):
    """Pages of one customer role: sign-in required, staff answered the 403 page with
    `staff_not_allowed` (accounts.decorators.customer_required), anyone else without the
    role a plain 403."""

    def decorator(view):
        @wraps(view)
        @customer_required
        def wrapped(request, *args, **kwargs):
            if not request.user.has_role(role):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


@role_required("borrower")
@require_http_methods(["GET", "POST"])
def application_create(request):
    form = ApplicationForm(request.POST or None)
    headroom = selectors.borrower_headroom(request.user)
    # Said before they fill the form: while a loan or application as the other kind of
    # borrower is outstanding, submitting is refused (borrower_kind_locked).
    kind_locked = headroom is not None and selectors.borrower_kind_locked(
        request.user, kind=headroom.caps.kind
    )
    status = 200
    if request.method == "POST" and not form.is_valid():
        status = 400
    elif request.method == "POST":
        data = form.cleaned_data
        try:
            application = application_submit(
                borrower=request.user,
                product_id=data["product"].pk,
                amount=data["amount"],
                term_months=data["term_months"],
                method=data["method"],
                purpose=data["purpose"],
                purpose_detail=data["purpose_detail"],
                context=AuditContext.of(request),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
            status = exc.status_code
        else:
            messages.success(
                request,
                _("Application %(id)s submitted. We review it now.") % {"id": application.pk},
            )
            return redirect("lending:application-list")
    preview = selectors.schedule_preview(
        form.data if form.is_bound else {name: form[name].value() for name in form.fields}
    )
    return render(
        request,
        "lending/application_form.html",
        {
            "form": form,
            "headroom": headroom,
            "kind_locked": kind_locked,
            "preview": preview,
            "section": "apply",
        },
        status=status,
    )


@role_required("borrower")
@require_GET
def application_preview(request):
    return render(
        request,
        "lending/_schedule_preview.html",
        {"preview": selectors.schedule_preview(request.GET)},
    )


@role_required("borrower")
@require_GET
def application_list(request):
    applications = selectors.application_list_for_borrower(request.user).select_related(
        "loan__agreement"
    )
    page = _page(request, applications)
    return render(
        request,
        "lending/application_list.html",
        {
            "page": page,
            "applications": page.object_list,
            "headroom": selectors.borrower_headroom(request.user),
            "section": "applications",
        },
    )


@role_required("borrower")
@require_GET
def application_offer(request, pk: int):
    """The final offer of the borrower's approved application: grade, rate, APR, fee, the
    amount received, the schedule, the total cost and until when it may be accepted."""
    application = selectors.application_offer_for_borrower(request.user, pk)
    if application is None:
        raise Http404
    return render(
        request,
        "lending/application_offer.html",
        {
            "application": application,
            "figures": application.figures,
            "expired": application.has_open_offer
            and business_date() > application.offer_expires_on,
            "section": "applications",
        },
    )


@role_required("borrower")
@require_POST
def application_offer_accept(request, pk: int):
    """Accept the offer; the box confirming the agreement's terms must be ticked."""
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm you accept the loan agreement."))
        return redirect("lending:application-offer", pk=pk)
    try:
        application = offer_accept(
            application_id=pk, borrower=request.user, context=AuditContext.of(request)
        )
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("lending:application-offer", pk=pk)
    loan = application.loan
    messages.success(
        request,
        _("Offer accepted. Loan %(loan)s is open for funding; your agreement is below.")
        % {"loan": loan.reference},
    )
    return redirect("lending:borrowing-detail", pk=loan.pk)


@role_required("borrower")
@require_POST
def application_offer_decline(request, pk: int):
    try:
        offer_decline(application_id=pk, borrower=request.user, context=AuditContext.of(request))
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("lending:application-offer", pk=pk)
    messages.success(
        request, _("Offer declined. Nothing was listed or charged; you may apply again.")
    )
    return redirect("lending:application-list")


@login_required
@require_GET
def loan_agreement(request, pk: int):
    """The loan agreement's PDF, for the loan's borrower and each investor holding a
    reserved or active ticket; anyone else is told it does not exist."""
    agreement = selectors.agreement_for_party(request.user, pk)
    if agreement is None:
        raise Http404
    response = FileResponse(
        agreement.file.open("rb"),
        as_attachment=True,
        filename=f"{agreement.loan.reference}-agreement.pdf",
        content_type="application/pdf",
    )
    response["X-Agreement-Version"] = agreement.version
    response["X-Agreement-SHA256"] = agreement.sha256
    return response


@role_required("borrower")
@require_http_methods(["GET", "POST"])
def borrowing_hardship(request, pk: int):
    """Ask for a payment holiday or a longer term: the form, then the new schedule beside the
    current one, then the confirmed request (lending.services.hardship). A request waiting
    for a decision is shown instead of the form."""
    loan = get_object_or_404(selectors.borrowing_list_for_borrower(request.user), pk=pk)
    requests = list(selectors.hardship_request_list(loan))
    waiting = next((r for r in requests if r.status == "submitted"), None)
    context = {"loan": loan, "requests": requests, "waiting": waiting, "section": "loans"}
    form = HardshipForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and waiting is None:
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["confirmed"]:
                    hardship_request_submit(
                        loan_id=loan.pk,
                        borrower=request.user,
                        kind=data["kind"],
                        months=data["months"],
                        reason=data["reason"],
                        context=AuditContext.of(request),
                    )
                    messages.success(
                        request,
                        _(
                            "Your request is with us. We will tell you when it is decided; until "
                            "then your schedule is unchanged."
                        ),
                    )
                    return redirect("lending:borrowing-hardship", pk=loan.pk)
                context["plan"] = hardship_preview(
                    loan=loan, kind=data["kind"], months=data["months"]
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status_code
        else:
            status = 400
    context["form"] = form
    return render(request, "lending/hardship_request_form.html", context, status=status)


def _rate_fraction(value):
    return None if value is None else value / HUNDRED


def _marketplace_page(request, form: MarketplaceFilterForm):
    """The filtered listing's paginator, page and query string (without `page`)."""
    f = form.cleaned_data if form.is_bound else {}
    loans = selectors.loan_list_open(
        grades=f.get("grade"),
        terms=f.get("term"),
        min_rate=_rate_fraction(f.get("min_rate")),
        max_rate=_rate_fraction(f.get("max_rate")),
        min_left=f.get("min_left"),
        purposes=[f["purpose"]] if f.get("purpose") else None,
        ordering=f.get("ordering") or "deadline",
    )
    paginator = CachedCountPaginator(loans, 20)
    query = request.GET.copy()
    query.pop("page", None)
    return paginator, paginator.get_page(request.GET.get("page")), query.urlencode()


@require_GET
def loan_list(request):
    """The marketplace. For an investor each loan they could not invest in is marked with
    the reason (their grade, their limits: lending.investment_rules), so that rendering is
    theirs alone; everyone else sees the same listing, and a large one may be served as
    rendered a moment ago (lending.pagination), skipping validation and queries."""
    investor = _can_invest(request.user)
    key = page_cache_key("html", request.GET)
    market = None if investor else page_cache_get(key)
    if market is None:
        form = MarketplaceFilterForm(request.GET or None)
        if form.is_bound and not form.is_valid():
            # Listing everything while one filter is ignored would mislead: show what to fix,
            # list nothing, and never cache the rendering of a refused request.
            market = render_to_string("lending/_loan_list_market.html", {"form": form})
            return render(
                request,
                "lending/loan_list.html",
                {"market": market, "section": "market"},
                status=400,
            )
        paginator, page, query = _marketplace_page(request, form)
        if investor:
            page.object_list = list(page.object_list)
            refusals = selectors.marketplace_refusals(
                request.user, [loan.pk for loan in page.object_list]
            )
            for loan in page.object_list:
                loan.refusal = refusals.get(loan.pk)
        market = render_to_string(
            "lending/_loan_list_market.html",
            {"form": form, "page": page, "query": query, "marked": investor},
        )
        if not investor:
            page_cache_set(key, paginator, market)
    return render(request, "lending/loan_list.html", {"market": market, "section": "market"})


def _loan_page_context(request, loan, form) -> dict:
    """What the loan page shows beside the loan: for an investor, their own stake and why
    they could not invest (if so); for everyone, the repayment schedule."""
    context = {
        "loan": loan,
        "form": form,
        "can_invest": _can_invest(request.user),
        "schedule": selectors.loan_schedule(loan),
        # The agreement's link, for the borrower and the loan's investors only.
        "agreement": selectors.agreement_for_party(request.user, loan.pk),
        "expected": selectors.investor_expected_payments(request.user, loan),
    }
    if context["can_invest"]:
        stake = selectors.investor_stake(request.user, loan)
        now = timezone.now()
        for investment in stake:
            investment.loan = loan
            investment.cancellable = cancel_refusal(investment, now) is None
        context["stake"] = stake
        context["stake_held"] = sum(
            (i.amount for i in stake if i.status in selectors.HELD_STATUSES), Decimal("0.00")
        )
        context["stake_share"] = context["stake_held"] / loan.amount
        context["refusal"] = selectors.marketplace_refusals(request.user, [loan.pk]).get(loan.pk)
    return context


@require_GET
def loan_detail(request, pk: int):
    loan = selectors.loan_get_public(pk)
    if loan is None:
        raise Http404
    return render(
        request, "lending/loan_detail.html", _loan_page_context(request, loan, InvestForm())
    )


def _can_invest(user) -> bool:
    """An investor customer: staff never invest (accounts.decorators.customer_required)."""
    return user.is_authenticated and user.has_role("investor") and not user.is_platform_staff


def _loan_detail_refused(request, loan, form, status: int):
    """The loan page again, with the invest form and why it was refused."""
    return render(
        request, "lending/loan_detail.html", _loan_page_context(request, loan, form), status=status
    )


@role_required("investor")
@require_POST
def loan_invest(request, pk: int):
    """Two steps: the first POST shows a confirmation; the confirmed POST invests once
    (its idempotency key travels in the form, so a double submit invests once)."""
    loan = selectors.loan_get_public(pk)
    if loan is None:
        raise Http404
    form = InvestForm(request.POST)
    if not form.is_valid():
        return _loan_detail_refused(request, loan, form, 400)
    amount = form.cleaned_data["amount"]
    try:
        if not form.cleaned_data["confirmed"]:
            # Refuse now what the placement would refuse, before asking to confirm it.
            ensure_investment_allowed(investor=request.user, loan_id=loan.pk, amount=amount)
            confirm = InvestForm(
                initial={"amount": amount, "confirmed": True, "idempotency_key": uuid.uuid4().hex}
            )
            return render(
                request,
                "lending/investment_confirm.html",
                {"loan": loan, "amount": amount, "form": confirm},
            )
        investment_place(
            investor=request.user,
            loan_id=loan.pk,
            amount=amount,
            idempotency_key=form.cleaned_data["idempotency_key"] or uuid.uuid4().hex,
            context=AuditContext.of(request),
        )
    except DomainError as exc:
        form.add_error(None, exc.message)
        return _loan_detail_refused(request, loan, form, exc.status_code)
    messages.success(
        request,
        _("You invested %(amount)s in %(loan)s.")
        % {"amount": money.display(amount, loan.currency), "loan": loan.reference},
    )
    return redirect("lending:investment-list")


@role_required("investor")
@require_GET
def investment_list(request):
    """The investor's investments, newest first, 20 a page, with their money in loans by
    state; a reservation shows its Cancel button while it can still be cancelled."""
    investments = investment_list_with_returns(request.user).select_related("loan__product")
    page = _page(request, investments)
    now = timezone.now()
    for investment in page.object_list:
        investment.cancellable = cancel_refusal(investment, now) is None
    return render(
        request,
        "lending/investment_list.html",
        {
            "page": page,
            "totals": selectors.investment_totals_for_investor(request.user),
            "portfolio": portfolio_summary(request.user),
            "section": "portfolio",
        },
    )


@role_required("investor")
@require_http_methods(["GET", "POST"])
def investment_cancel_view(request, pk: int):
    """Two steps: GET (or a POST without `confirmed`) shows what cancelling does and asks to
    confirm; the confirmed POST cancels. Another investor's investment is 404."""
    investment = get_object_or_404(
        selectors.investment_list_for_investor(request.user).select_related("loan__product"),
        pk=pk,
    )
    if request.method == "GET" or request.POST.get("confirmed") != "yes":
        refusal = cancel_refusal(investment, timezone.now())
        return render(
            request,
            "lending/investment_cancel_confirm.html",
            {"investment": investment, "refusal": refusal, "section": "portfolio"},
        )
    try:
        investment_cancel(investor=request.user, investment_id=pk, context=AuditContext.of(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Investment of %(amount)s in %(loan)s cancelled; the money is available again.")
            % {
                "amount": money.display(investment.amount, investment.currency),
                "loan": investment.loan.reference,
            },
        )
    return redirect("lending:investment-list")


def _rule_terms(form: AutoInvestRuleForm) -> dict:
    """The form's values as the services take them: rates and shares as fractions."""
    data = dict(form.cleaned_data)
    for name in ("min_rate", "max_rate", "max_borrower_share"):
        data[name] = data[name] / HUNDRED
    return data


@role_required("investor")
@require_http_methods(["GET", "POST"])
def auto_invest_rule_list(request):
    form = AutoInvestRuleForm(request.POST or None)
    status = 200
    if request.method == "POST" and not form.is_valid():
        status = 400
    elif request.method == "POST":
        try:
            auto_invest_rule_create(
                investor=request.user, context=AuditContext.of(request), **_rule_terms(form)
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
            status = exc.status_code
        else:
            messages.success(
                request, _("Auto-invest rule saved. It applies to loans opening from now.")
            )
            return redirect("lending:auto-invest-rule-list")
    rules = selectors.auto_invest_rule_list(request.user)
    return render(
        request,
        "lending/autoinvestrule_list.html",
        {"form": form, "rules": rules, "section": "auto"},
        status=status,
    )


@role_required("investor")
@require_http_methods(["GET", "POST"])
def auto_invest_rule_edit(request, pk: int):
    """The rule's terms in the same form as a new rule's; saving keeps its place in the
    queue and whether it is on or paused."""
    rule = get_object_or_404(selectors.auto_invest_rule_list(request.user), pk=pk)
    form = AutoInvestRuleForm(request.POST or None, initial=AutoInvestRuleForm.initial_for(rule))
    status = 200
    if request.method == "POST" and not form.is_valid():
        status = 400
    elif request.method == "POST":
        try:
            auto_invest_rule_update(
                investor=request.user,
                rule_id=rule.pk,
                context=AuditContext.of(request),
                **_rule_terms(form),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
            status = exc.status_code
        else:
            messages.success(request, _("Auto-invest rule changed."))
            return redirect("lending:auto-invest-rule-list")
    return render(
        request,
        "lending/autoinvestrule_form.html",
        {"form": form, "rule": rule, "section": "auto"},
        status=status,
    )


def _rule_switch(request, pk: int, *, is_active: bool):
    try:
        auto_invest_rule_update(
            investor=request.user,
            rule_id=pk,
            is_active=is_active,
            context=AuditContext.of(request),
        )
    except DomainError as exc:
        if exc.status_code == 404:
            raise Http404 from exc
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Rule resumed: it invests in matching loans opening from now.")
            if is_active
            else _("Rule paused: it invests in nothing until you resume it."),
        )
    return redirect("lending:auto-invest-rule-list")


@role_required("investor")
@require_POST
def auto_invest_rule_pause(request, pk: int):
    return _rule_switch(request, pk, is_active=False)


@role_required("investor")
@require_POST
def auto_invest_rule_resume(request, pk: int):
    return _rule_switch(request, pk, is_active=True)


@role_required("investor")
@require_http_methods(["GET", "POST"])
def auto_invest_rule_delete_view(request, pk: int):
    """GET asks to confirm; POST deletes. Investments the rule placed stay."""
    rule = get_object_or_404(selectors.auto_invest_rule_list(request.user), pk=pk)
    if request.method == "GET":
        return render(
            request, "lending/autoinvestrule_confirm_delete.html", {"rule": rule, "section": "auto"}
        )
    try:
        auto_invest_rule_delete(
            investor=request.user, rule_id=rule.pk, context=AuditContext.of(request)
        )
    except DomainError as exc:
        if exc.status_code == 404:
            raise Http404 from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Rule deleted. Investments it made are unchanged."))
    return redirect("lending:auto-invest-rule-list")


@login_required
@require_GET
def notification_list(request):
    """The user's notifications, newest first, unread ones highlighted."""
    notifications = selectors.notification_list(request.user)
    page = _page(request, notifications)
    paths = selectors.notification_paths(page.object_list)
    for notification in page.object_list:
        notification.link = paths.get(notification.pk)
    return render(
        request,
        "lending/notification_list.html",
        {
            "page": page,
            # The navigation's unread badge reads this count instead of counting again.
            "notifications_unread": selectors.notification_unread_count(request.user),
            # "Mark all read" marks only what existed when this page was shown.
            "newest_notification_id": notifications.values_list("id", flat=True).first(),
        },
    )


@login_required
@require_POST
def notification_read_all(request):
    """Mark read the notifications up to the newest one the page showed (`up_to_id`)."""
    raw = request.POST.get("up_to_id", "")
    if not (raw.isascii() and raw.isdigit() and 0 < len(raw) <= 18 and int(raw) > 0):
        messages.error(request, _("The page was out of date: nothing was marked. Try again."))
        return redirect("lending:notification-list")
    marked = notifications_mark_read(user=request.user, up_to_id=int(raw))
    if marked:
        messages.success(
            request,
            ngettext(
                "Marked %(count)s notification read.",
                "Marked %(count)s notifications read.",
                marked,
            )
            % {"count": marked},
        )
    return redirect("lending:notification-list")
