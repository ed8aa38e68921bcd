"""Ops admin for lending: products, the review queue, disbursement approvals, blocklist,
the collections queue (cases, contacts, promises, investor notes) and hardship decisions.

Admin actions call the same services as the API, so rules, audit and notifications
are identical whichever door a decision comes through.
"""

import re
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.functional import lazy
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts import credit_code, pii
from accounts.adapters.identity import identifier_refusal
from core import money
from core.admin import ActionsOnlyAdmin, ReadOnlyAdmin
from core.audit import AuditContext, audit_record
from core.errors import DomainError
from core.fields import AmountFormField
from core.policies import LOAN_GRADES
from lending.affordability import application_affordability
from lending.cost import worst_aprs
from lending.models import (
    DECISION_REASON_LENGTH,
    Application,
    AutoInvestRule,
    BlocklistEntry,
    CollectionCase,
    CollectionContact,
    Disbursement,
    HardshipRequest,
    Installment,
    Investment,
    Loan,
    LoanAgreement,
    LoanUpdate,
    Notification,
    Product,
    PromiseToPay,
    RepaymentMethod,
)
from lending.services import blocklist
from lending.services.applications import application_decide
from lending.services.collections import (
    case_assign,
    contact_log,
    loan_update_post,
    may_collect,
    promise_record,
)
from lending.services.disbursements import (
    disbursement_approve,
    disbursement_start,
    disbursement_summary,
    may_approve_disbursement,
    may_start_disbursement,
    needs_second_approval,
)
from lending.services.hardship import hardship_request_decide, may_decide_hardship
from lending.services.products import product_save


class ReasonActionForm(ActionForm):
    reason = forms.CharField(required=False, label=_("Reason"), max_length=500)


def _humanize(code: str) -> str:
    """A machine code as a reviewer reads it: "fraud_signal:duplicate_bank_card" ->
    "Fraud signal: duplicate bank card"."""
    text = str(code).replace("_", " ").replace(":", ": ")
    return text[:1].upper() + text[1:]


# The credit bureau's and the disclosure's keys, as a reviewer reads them.
_KEY_LABELS = {
    "score": _("Score"),
    "overdue_records_6m": _("Overdue records, last 6 months"),
    "other_platform_borrowing": _("Borrowing on other platforms"),
    "other_platform_count": _("Other platforms borrowed from"),
    "court_judgments_2y": _("Court judgments, last 2 years"),
    "tax_credit_rating": _("Tax credit rating"),
}


_MONEY_TEXT = re.compile(r"[0-9]+\.[0-9]{2}")


def _structured(data) -> str:
    """JSON as a reviewer reads it: an object as a table of labelled rows (the key kept as
    the row's tooltip), a list of codes as a list of readable lines with the code beside."""
    if isinstance(data, dict):
        if not data:
            return "-"
        rows = format_html_join(
            "",
            '<tr><th title="{}">{}</th><td>{}</td></tr>',
            (
                (key, _KEY_LABELS.get(key, _humanize(key)), _structured(value))
                for key, value in data.items()
            ),
        )
        return format_html('<table class="admin-structured">{}</table>', rows)
    if isinstance(data, list):
        if not data:
            return "-"
        items = format_html_join(
            "", "<li>{} <code>{}</code></li>", ((_humanize(item), item) for item in data)
        )
        return format_html('<ul class="admin-structured">{}</ul>', items)
    if isinstance(data, str) and _MONEY_TEXT.fullmatch(data):
        return f"{Decimal(data):,.2f}"  # amounts in JSON travel as strings
    return "-" if data in (None, "") else str(data)


_label_capitalized = lazy(lambda field: str(field.verbose_name).capitalize(), str)


def _readable(field: models.Field):
    """The read-only admin view of one model field: money with separators and currency,
    rates as percentages, JSON as tables and lists; any other field by its name, as the
    admin shows it."""
    name = field.name
    if isinstance(field, models.DecimalField) and name.endswith("amount"):

        def show(obj):
            value = getattr(obj, name)
            return "-" if value is None else money.display(value, obj.currency)

    elif isinstance(field, models.DecimalField) and name.endswith("rate"):

        def show(obj):
            value = getattr(obj, name)
            return "-" if value is None else f"{(value * 100).normalize():f}%"

    elif isinstance(field, models.JSONField):

        def show(obj):
            return _structured(getattr(obj, name))

    elif name == "status" and field.choices:

        def show(obj):
            return obj.get_status_display()  # a model may refine it (Loan: "Expired")

    else:
        return name
    # Read when the page renders, not now: the field's label becomes a translation only in
    # LendingConfig.ready(), after the admin has imported this module.
    show.short_description = _label_capitalized(field)
    show.__name__ = f"{name}_shown"  # the list's cell class: field-<name>_shown
    return show


def _readable_fields(model) -> tuple[list, list[str]]:
    """(readonly_fields, exclude) showing every field of `model` through _readable: the
    fields shown by a function leave the form."""
    shown = [_readable(f) for f in model._meta.fields]
    replaced = [f.name for f, s in zip(model._meta.fields, shown, strict=True) if s != f.name]
    return shown, replaced


def _invalid(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


# A decision's outcome in the message the decider sees.
_DECIDED = {"approve": _("approved"), "reject": _("rejected"), "refuse": _("refused")}

# What a blocklist identifier of each hashed kind is called in a refusal.
_BLOCKLIST_NOUNS = {
    "national_id": _("national id"),
    "phone": _("phone"),
    "bank_account": _("bank account"),
    "credit_code": _("enterprise credit code"),
}

_AMOUNT_HELP = _("A plain decimal amount with at most 2 places, e.g. 100000.00.")

# The terms ops tick in the product form (months); a product's other saved terms are added.
STANDARD_TERMS = (1, 3, 6, 9, 12, 18, 24, 36, 48, 60)
_RATE_EXAMPLE = "0.0800"
_RATE_TEXT = re.compile(r"[0-9]*\.?[0-9]+")


class GradeRatesWidget(forms.MultiWidget):
    """One decimal input per grade, A to E, laid out as a one-row table."""

    def __init__(self, attrs=None):
        inputs = {
            grade: forms.TextInput(
                attrs={"inputmode": "decimal", "size": 8, "placeholder": _RATE_EXAMPLE}
            )
            for grade in LOAN_GRADES
        }
        super().__init__(inputs, attrs)

    def decompress(self, value):
        value = value or {}
        return [None if value.get(g) is None else str(value[g]) for g in LOAN_GRADES]

    def render(self, name, value, attrs=None, renderer=None):
        context = self.get_context(name, value, attrs)
        cells = [
            (
                widget["attrs"]["id"],
                grade,
                self.widgets[i].render(widget["name"], widget["value"], widget["attrs"], renderer),
            )
            for i, (grade, widget) in enumerate(
                zip(LOAN_GRADES, context["widget"]["subwidgets"], strict=True)
            )
        ]
        head = format_html_join(
            "", '<th scope="col"><label for="{}">Grade {}</label></th>', (c[:2] for c in cells)
        )
        row = format_html_join("", "<td>{}</td>", ((c[2],) for c in cells))
        return format_html(
            '<table class="grade-rates"><thead><tr>{}</tr></thead><tbody><tr>{}</tr></tbody>'
            "</table>",
            head,
            row,
        )


class GradeRatesField(forms.MultiValueField):
    """Annual rates by grade from one input per grade, as the product stores them: a dict
    of grade to the rate's decimal text, only the grades priced. Each rate is a fraction
    above 0 and below 1 with at most six places (what a loan's rate field holds)."""

    widget = GradeRatesWidget

    def __init__(self, **kwargs):
        fields = [forms.CharField(required=False, strip=True) for _ in LOAN_GRADES]
        super().__init__(fields, require_all_fields=False, required=False, **kwargs)

    def compress(self, data_list):
        typed = dict(zip(LOAN_GRADES, data_list or [None] * len(LOAN_GRADES), strict=True))
        rates, problems = {}, []
        for grade, text in typed.items():
            if not text:
                continue
            # Plain ASCII decimals only: Decimal() would also take "1e-2" and full-width digits.
            rate = Decimal(text) if _RATE_TEXT.fullmatch(text) else None
            if (
                rate is None
                or not rate.is_finite()
                or not Decimal("0") < rate < Decimal("1")
                or rate.normalize().as_tuple().exponent < -6
            ):
                problems.append(
                    _invalid(
                        gettext(
                            "Grade %(grade)s: %(text)s is not a rate. Write a fraction above 0 "
                            "and below 1 with at most six decimal places, e.g. %(example)s."
                        )
                        % {"grade": grade, "text": repr(text), "example": _RATE_EXAMPLE},
                        "rates",
                    )
                )
                continue
            rates[grade] = str(rate)
        if problems:
            raise ValidationError(problems)
        if not rates:
            raise _invalid(gettext("Price at least one grade."), "rates")
        return rates


class ProductAdminForm(forms.ModelForm):
    """The product's JSON fields and rates checked here, so a product ops save can always
    be applied for and listed (a rate the loan cannot store would fail only at listing).
    Its money amounts use the platform's one strict amount parser (core.fields.AmountFormField)."""

    min_amount = AmountFormField(label=_("Min amount"), help_text=_AMOUNT_HELP)
    max_amount = AmountFormField(label=_("Max amount"), help_text=_AMOUNT_HELP)
    late_fee_amount = AmountFormField(
        label=_("Late fee amount"), allow_zero=True, initial=Decimal("0.00"), help_text=_AMOUNT_HELP
    )
    min_investment_amount = AmountFormField(
        label=_("Min investment amount"), initial=Decimal("50.00"), help_text=_AMOUNT_HELP
    )
    investment_step_amount = AmountFormField(
        label=_("Investment step amount"), initial=Decimal("50.00"), help_text=_AMOUNT_HELP
    )

    class Meta:
        model = Product
        fields = [
            f.name for f in Product._meta.concrete_fields if not f.primary_key
        ]  # the admin's fieldsets choose among them

    term_options = forms.TypedMultipleChoiceField(
        label=_("Terms offered (months)"),
        coerce=int,
        choices=[(t, f"{t} month{'s' if t > 1 else ''}") for t in STANDARD_TERMS],
        widget=forms.CheckboxSelectMultiple(attrs={"class": "inline-choices"}),
        help_text=_("Tick every term a borrower may choose."),
        error_messages={"required": _("Offer at least one term.")},
    )
    methods = forms.MultipleChoiceField(
        label=_("Repayment methods"),
        choices=RepaymentMethod.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "inline-choices"}),
        error_messages={"required": _("Offer at least one repayment method.")},
    )
    rates_by_grade = GradeRatesField(
        label=_("Annual rate by grade"),
        help_text=_(
            "A fraction per grade, e.g. 0.0800 for 8% a year, with at most six decimal "
            "places. Leave a grade empty to decline it (its applications are refused)."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A product saved with a term outside the usual list keeps it offered as a choice.
        current = [t for t in (self.instance.term_options or []) if type(t) is int]
        terms = sorted(set(STANDARD_TERMS) | set(current))
        self.fields["term_options"].choices = [
            (t, f"{t} month{'s' if t > 1 else ''}") for t in terms
        ]

    def clean_term_options(self):
        return sorted(set(self.cleaned_data["term_options"]))

    def clean_methods(self):
        chosen = set(self.cleaned_data["methods"])
        return [m for m in RepaymentMethod.values if m in chosen]

    def clean(self):
        data = super().clean()
        fractions = [
            ("service_fee_rate", False),
            ("platform_fee_rate", False),
            ("penalty_daily_rate", False),
            ("auto_invest_max_share", True),
        ]
        for name, one_allowed in fractions:
            value = data.get(name)
            if value is not None and not (0 <= value < 1 or (one_allowed and value == 1)):
                self.add_error(name, _invalid(gettext("A fraction from 0 to below 1."), "fraction"))
        self._check_cost_ceiling(data)
        return data

    def _check_cost_ceiling(self, data) -> None:
        """Refuse rates and a fee that would put any grade's APR, at its worst term and
        method, above the ceiling on the cost of credit (LENDING_COST_CEILING_RATE)."""
        terms, methods = data.get("term_options"), data.get("methods")
        rates, fee = data.get("rates_by_grade"), data.get("service_fee_rate")
        if not (terms and methods and rates) or fee is None or self.has_error("service_fee_rate"):
            return
        ceiling = settings.LENDING_COST_CEILING_RATE
        above = [
            w
            for w in worst_aprs(
                rates_by_grade=rates,
                term_options=terms,
                methods=methods,
                service_fee_rate=fee,
                amount=data.get("min_amount") or Decimal("10000.00"),
            )
            if w.apr > ceiling
        ]
        if above:
            named = "; ".join(
                gettext("grade %(grade)s: APR %(apr)s at %(months)s months, %(method)s")
                % {
                    "grade": w.grade,
                    "apr": f"{w.apr:.2%}",
                    "months": w.term_months,
                    "method": str(RepaymentMethod(w.method).label).lower(),
                }
                for w in above
            )
            self.add_error(
                "rates_by_grade",
                _invalid(
                    gettext(
                        "Above the %(ceiling)s ceiling on the cost of credit (interest and "
                        "fees): %(named)s. Lower the rate or the service fee, or drop the "
                        "shortest terms."
                    )
                    % {"ceiling": f"{ceiling:.2%}", "named": named},
                    "apr_above_cost_ceiling",
                ),
            )


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    """Ops define products here; a save is audited (lending.services.products)."""

    form = ProductAdminForm
    list_display = ["code", "name", "is_active", "min_amount", "max_amount", "service_fee_rate"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]
    fieldsets = [
        (None, {"fields": ["code", "name", "description", "is_active", "currency"]}),
        (_("Terms"), {"fields": ["term_options", "min_amount", "max_amount", "methods"]}),
        (_("Pricing"), {"fields": ["rates_by_grade"]}),
        (
            _("Fees"),
            {
                "fields": [
                    "service_fee_rate",
                    "platform_fee_rate",
                    "late_fee_amount",
                    "penalty_daily_rate",
                    "grace_days",
                    "prepayment_fee_rate",
                ]
            },
        ),
        (
            _("Servicing"),
            {"fields": ["reminder_days", "default_after_days", "write_off_after_days"]},
        ),
        (
            _("Funding"),
            {
                "fields": [
                    "funding_window_days",
                    "offer_window_days",
                    "min_investment_amount",
                    "investment_step_amount",
                    "cooling_off_hours",
                    "auto_invest_max_share",
                ]
            },
        ),
    ]

    def save_model(self, request, obj, form, change):
        product_save(product=obj, actor=request.user, context=AuditContext.of(request))


class ReviewQueueFilter(admin.SimpleListFilter):
    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("waiting", _("Waiting for a reviewer"))]

    def queryset(self, request, queryset):
        if self.value() == "waiting":
            return queryset.filter(
                status=Application.Status.UNDER_REVIEW, risk_checked_at__isnull=False
            )
        return queryset


class ReviewDecisionForm(forms.Form):
    """The decision buttons on an application's page: approve or reject, with a reason."""

    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    reason = forms.CharField(max_length=DECISION_REASON_LENGTH, strip=True)


@admin.register(Application)
class ApplicationAdmin(ActionsOnlyAdmin):
    """The review queue: bureau report and fraud flags beside the decision actions. An
    application's own page shows the report beside the borrower's income, obligations and
    debt-to-income, with Approve and Reject buttons (reason required) that call the same
    service as the bulk actions and the API."""

    change_form_template = "admin/lending/application/change_form.html"
    # What a reviewer acts on first, visible beside the sidebar and the filters.
    list_display = [
        "id",
        "status",
        "flag_count",
        "grade",
        _readable(Application._meta.get_field("amount")),
        "term_months",
        "borrower",
        "submitted_at",
    ]
    list_filter = [ReviewQueueFilter, "status", "grade", "product"]
    search_fields = ["borrower__email"]
    list_select_related = ["borrower", "product"]
    action_form = ReasonActionForm
    actions = ["approve", "reject"]
    readonly_fields, exclude = _readable_fields(Application)

    @admin.display(description=_("flags"))
    def flag_count(self, obj):
        return len(obj.fraud_flags or [])

    def get_urls(self):
        decide = self.admin_site.admin_view(require_POST(self.decide_view))
        return [
            path("<int:object_id>/decide/", decide, name="lending_application_decide"),
            *super().get_urls(),
        ]

    def _decide_one(self, request, application_id: int, decision: str, reason: str) -> bool:
        try:
            application_decide(
                application_id=application_id,
                reviewer=request.user,
                decision=decision,
                reason=reason,
                context=AuditContext.of(request),
            )
        except DomainError as exc:
            self.message_user(
                request,
                gettext("%(item)s: %(error)s") % {"item": application_id, "error": exc.message},
                messages.ERROR,
            )
            return False
        decided = _DECIDED.get(decision, decision)
        self.message_user(
            request,
            gettext("%(item)s: %(decided)s.") % {"item": application_id, "decided": decided},
            messages.SUCCESS,
        )
        return True

    def decide_view(self, request, object_id: int):
        """POST from the application's page; back to the page with the outcome as a message
        (a missing reason or a refused decision changes nothing)."""
        application = get_object_or_404(Application, pk=object_id)
        if not self.has_change_permission(request, application):
            raise PermissionDenied
        form = ReviewDecisionForm(request.POST)
        if not form.is_valid():
            problems = " ".join(
                f"{ReviewDecisionForm.base_fields[name].label or name}: {' '.join(errors)}"
                for name, errors in form.errors.items()
            )
            self.message_user(
                request,
                gettext("%(item)s: nothing decided. %(problems)s")
                % {"item": object_id, "problems": problems},
                messages.ERROR,
            )
        else:
            self._decide_one(
                request, application.pk, form.cleaned_data["decision"], form.cleaned_data["reason"]
            )
        return redirect(reverse("admin:lending_application_change", args=[application.pk]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        application = self.get_object(request, object_id)
        extra = {}
        if application is not None:
            waiting = (
                application.status == Application.Status.UNDER_REVIEW
                and application.risk_checked_at is not None
            )
            extra = {
                "bureau_report_table": _structured(application.bureau_report),
                "fraud_flag_list": _structured(application.fraud_flags),
                "reason_list": _structured(application.decision_reasons),
                "amount_shown": money.display(application.amount, application.currency),
                "affordability": application_affordability(application),
                "can_decide": waiting
                and request.user.has_role("reviewer")
                and application.borrower_id != request.user.pk
                and self.has_change_permission(request, application),
                "is_waiting": waiting,
                "reason_max_length": DECISION_REASON_LENGTH,
                "decision_url": reverse("admin:lending_application_decide", args=[application.pk]),
            }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def _decide(self, request, queryset, decision):
        reason = request.POST.get("reason", "").strip()
        for application in queryset:
            self._decide_one(request, application.pk, decision, reason)

    @admin.action(description=_("Approve (reason required)"), permissions=["change"])
    def approve(self, request, queryset):
        self._decide(request, queryset, "approve")

    @admin.action(description=_("Reject (reason required)"), permissions=["change"])
    def reject(self, request, queryset):
        self._decide(request, queryset, "reject")


class InvestmentInline(admin.TabularInline):
    model = Investment
    extra = 0
    can_delete = False
    fields = ["investor", "amount", "status", "source", "created_at"]
    readonly_fields = fields


class DisbursementQueueFilter(admin.SimpleListFilter):
    title = _("disbursement")
    parameter_name = "disbursement"

    def lookups(self, request, model_admin):
        return [
            ("to_start", _("Funded, not started")),
            ("to_approve", _("Waiting for a checker")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "to_start":
            return queryset.filter(status=Loan.Status.FUNDED, disbursement__isnull=True)
        if self.value() == "to_approve":
            return queryset.filter(disbursement__status=Disbursement.Status.PENDING_APPROVAL)
        return queryset


@admin.register(Loan)
class LoanAdmin(ActionsOnlyAdmin):
    """Loans, with disbursement approvals (maker starts, a different approver checks)."""

    # Status and the disbursement queue first: what ops act on, visible without scrolling.
    list_display = [
        "reference",
        _readable(Loan._meta.get_field("status")),
        "disbursement_state",
        _readable(Loan._meta.get_field("amount")),
        _readable(Loan._meta.get_field("funded_amount")),
        "grade",
        _readable(Loan._meta.get_field("annual_rate")),
        "funding_deadline_on",
        "borrower",
    ]
    list_filter = [DisbursementQueueFilter, "status", "grade", "product"]
    search_fields = ["reference", "borrower__email"]
    list_select_related = ["borrower", "disbursement__requested_by"]
    inlines = [InvestmentInline]
    actions = ["start_disbursement", "approve_disbursement"]
    readonly_fields, exclude = _readable_fields(Loan)

    @admin.display(description=_("disbursement"))
    def disbursement_state(self, obj):
        disbursement = getattr(obj, "disbursement", None)
        threshold = money.display(settings.LENDING_DISBURSEMENT_CHECKER_THRESHOLD, obj.currency)
        if disbursement is None:
            if obj.status != Loan.Status.FUNDED:
                return "—"
            if needs_second_approval(obj.amount):
                return gettext("to start; needs a second approval (above %(threshold)s)") % {
                    "threshold": threshold
                }
            return gettext("to start; no second approval (at or below %(threshold)s)") % {
                "threshold": threshold
            }
        if disbursement.status == Disbursement.Status.PENDING_APPROVAL:
            return gettext(
                "waiting for a second approval: above %(threshold)s (maker %(maker)s)"
            ) % {"threshold": threshold, "maker": disbursement.requested_by}
        return disbursement.get_status_display()

    def _run(self, request, queryset, service, key):
        for loan in queryset:
            try:
                disbursement = service(
                    loan_id=loan.pk, context=AuditContext.of(request), **{key: request.user}
                )
            except DomainError as exc:
                self.message_user(
                    request,
                    gettext("%(item)s: %(error)s") % {"item": loan.reference, "error": exc.message},
                    messages.ERROR,
                )
            else:
                level = (
                    messages.WARNING
                    if disbursement.status == Disbursement.Status.PENDING_APPROVAL
                    else messages.SUCCESS
                )
                self.message_user(request, disbursement_summary(disbursement), level)

    # Each action is offered only to the roles its service admits (operations or an approver
    # start; an approver checks); the service checks again, and refuses the maker as checker.
    def has_start_disbursement_permission(self, request):
        return self.has_view_permission(request) and may_start_disbursement(request.user)

    def has_approve_disbursement_permission(self, request):
        return self.has_view_permission(request) and may_approve_disbursement(request.user)

    @admin.action(description=_("Start disbursement (maker)"), permissions=["start_disbursement"])
    def start_disbursement(self, request, queryset):
        self._run(request, queryset, disbursement_start, "maker")

    @admin.action(
        description=_("Approve disbursement (checker)"), permissions=["approve_disbursement"]
    )
    def approve_disbursement(self, request, queryset):
        self._run(request, queryset, disbursement_approve, "checker")


@admin.register(Disbursement)
class DisbursementAdmin(ReadOnlyAdmin):
    list_display = [
        "loan",
        "status",
        "gross_amount",
        "fee_amount",
        "net_amount",
        "requested_by",
        "approved_by",
        "settled_at",
    ]
    list_filter = ["status"]
    readonly_fields = [f.name for f in Disbursement._meta.fields]


@admin.register(Investment)
class InvestmentAdmin(ReadOnlyAdmin):
    list_display = ["id", "loan", "investor", "amount", "status", "source", "created_at"]
    list_filter = ["status", "source"]
    search_fields = ["investor__email", "loan__reference"]
    list_select_related = ["loan", "investor"]


@admin.register(Installment)
class InstallmentAdmin(ReadOnlyAdmin):
    list_display = ["loan", "number", "due_on", "principal_amount", "interest_amount", "status"]
    list_filter = ["status"]
    search_fields = ["loan__reference"]
    list_select_related = ["loan"]


class BlocklistEntryAdminForm(forms.ModelForm):
    """A reviewer blocks someone by typing the identifier as written: a national ID, phone,
    bank card or enterprise credit code is checked for its shape, and the entry stores its
    keyed hash and its encrypted form (lending.services.blocklist), never the identifier in
    clear; an email is stored lower-cased. On a change the identifier may be left empty to
    keep it (a hash cannot be shown back)."""

    identifier = forms.CharField(
        required=False,
        max_length=254,
        label=_("Identifier"),
        help_text=_(
            "As written: the national ID, phone, bank card, credit code or email. "
            "Only a keyed hash is stored, except for an email."
        ),
    )

    class Meta:
        model = BlocklistEntry
        fields = ["kind", "identifier", "reason"]

    def clean(self):
        data = super().clean()
        kind, typed = data.get("kind"), (data.get("identifier") or "").strip()
        if not kind:
            return data
        if not typed:
            if self.instance.pk is None or kind != self.instance.kind:
                self.add_error("identifier", _invalid(gettext("Type the identifier."), "required"))
            return data
        if not self._valid(kind, typed):
            return data
        if blocklist.entries_matching(kind, typed).exclude(pk=self.instance.pk).exists():
            self.add_error(
                "identifier", _invalid(gettext("This is already on the blocklist."), "duplicate")
            )
            return data
        self.instance.value, self.instance.value_encrypted = blocklist.entry_values(kind, typed)
        return data

    def _valid(self, kind: str, typed: str) -> bool:
        """Whether `typed` is a well-formed identifier of `kind` (else a form error)."""
        if kind == BlocklistEntry.Kind.EMAIL:
            try:
                validate_email(typed)
            except ValidationError:
                self.add_error(
                    "identifier", _invalid(gettext("Not an email address."), "invalid_email")
                )
                return False
            self._shown = typed.lower()
            return True
        pii_kind = blocklist.PII_KINDS[kind]
        if pii_kind == pii.PiiKind.CREDIT_CODE:
            refusal = credit_code.refusal(typed)
        else:
            refusal = identifier_refusal(pii_kind, typed)
        if refusal is not None or not pii.is_ascii_canonical(pii_kind, typed):
            self.add_error(
                "identifier",
                _invalid(
                    gettext("Not a valid %(kind)s.") % {"kind": _BLOCKLIST_NOUNS.get(kind, kind)},
                    refusal or "invalid",
                ),
            )
            return False
        self._shown = pii.mask(pii_kind, typed)
        return True


@admin.register(BlocklistEntry)
class BlocklistEntryAdmin(admin.ModelAdmin):
    """The lending blocklist; every addition or change is audited (hashes only, never PII)."""

    form = BlocklistEntryAdminForm
    list_display = ["kind", "value", "reason", "created_at"]
    list_filter = ["kind"]

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            after = {"kind": obj.kind, "value": obj.value, "reason": obj.reason}
            shown = getattr(form, "_shown", None)
            if shown:
                after["identifier"] = shown
            audit_record(
                action="lending.blocklist_entry_changed"
                if change
                else "lending.blocklist_entry_added",
                subject_type="blocklist_entry",
                subject_id=obj.pk,
                actor=request.user,
                after=after,
                context=AuditContext.of(request),
            )


@admin.register(AutoInvestRule)
class AutoInvestRuleAdmin(ReadOnlyAdmin):
    list_display = ["id", "investor", "grades", "amount_per_loan", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["investor__email"]
    list_select_related = ["investor"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["user", "kind", "title", "created_at", "read_at"]
    list_filter = ["kind"]
    search_fields = ["user__email"]
    list_select_related = ["user"]


# Collections (the collections role): the queue of cases, worked through actions that call
# lending.services.collections (role-checked, audited there again).


class CollectionActionForm(ActionForm):
    """The fields the case actions take; each action reads the ones it needs and says which
    is missing."""

    collector = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(groups__name="collections").order_by("email"),
        required=False,
        label=_("Collector"),
        empty_label=_("(collector)"),
    )
    channel = forms.ChoiceField(
        choices=[("", "(channel)"), *CollectionContact.Channel.choices],
        required=False,
        label=_("Channel"),
    )
    outcome = forms.CharField(
        required=False,
        max_length=200,
        label=_("Outcome"),
        widget=forms.TextInput(attrs={"placeholder": _("What came of the contact")}),
    )
    amount = forms.CharField(
        required=False,
        max_length=32,
        label=_("Promised amount"),
        widget=forms.TextInput(attrs={"placeholder": "0.00", "inputmode": "decimal"}),
    )
    promised_on = forms.DateField(
        required=False, label=_("by"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        required=False,
        max_length=500,
        label=_("Investor note"),
        widget=forms.TextInput(attrs={"placeholder": _("Plain words, no personal data")}),
    )


class AssignedFilter(admin.SimpleListFilter):
    title = _("assigned")
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("me", _("To me")), ("nobody", _("To nobody")), ("others", _("To others"))]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assigned_to=request.user)
        if self.value() == "nobody":
            return queryset.filter(assigned_to__isnull=True)
        if self.value() == "others":
            return queryset.exclude(assigned_to__isnull=True).exclude(assigned_to=request.user)
        return queryset


class WorkingFilter(admin.SimpleListFilter):
    """Open and promised cases (the queue) by default; closed ones on request."""

    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [
            ("working", _("Open or promised")),
            ("closed", pgettext_lazy("collection case status", "Closed")),
            ("all", _("All")),
        ]

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": (self.value() or "working") == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or "working"
        if value == "working":
            return queryset.exclude(status=CollectionCase.Status.CLOSED)
        if value == "closed":
            return queryset.filter(status=CollectionCase.Status.CLOSED)
        return queryset


class CollectionContactInline(admin.TabularInline):
    model = CollectionContact
    extra = 0
    can_delete = False
    fields = ["contacted_at", "channel", "outcome", "collector"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class PromiseToPayInline(admin.TabularInline):
    model = PromiseToPay
    extra = 0
    can_delete = False
    fields = ["created_at", "amount", "promised_on", "status", "recorded_by"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CollectionCase)
class CollectionCaseAdmin(ActionsOnlyAdmin):
    """The collections queue: worst first (days past due, then amount overdue), filtered by
    bucket, status and assignment; assignment, contacts, promises and investor notes are
    actions on the selected cases."""

    list_display = [
        "loan",
        "band",
        "days_past_due",
        "overdue",
        "status",
        "promise",
        "assigned_to",
        "opened_on",
    ]
    list_filter = [WorkingFilter, "bucket", AssignedFilter, "status"]
    ordering = ["-loan__days_past_due", "-overdue_amount", "id"]
    search_fields = ["loan__reference"]
    list_select_related = ["loan", "assigned_to"]
    inlines = [CollectionContactInline, PromiseToPayInline]
    action_form = CollectionActionForm
    actions = [
        "assign_to_me",
        "assign_to_collector",
        "log_contact",
        "record_promise",
        "post_investor_note",
    ]
    readonly_fields = [
        "loan",
        "status",
        "bucket",
        "days_past_due",
        "overdue",
        "assigned_to",
        "opened_on",
        "closed_on",
        "close_reason",
        "investor_notes",
    ]
    fields = readonly_fields

    def get_queryset(self, request):
        pending = PromiseToPay.objects.filter(case=models.OuterRef("pk"), status="pending")
        return (
            super()
            .get_queryset(request)
            .annotate(
                promised_amount=models.Subquery(pending.values("amount")[:1]),
                promised_on=models.Subquery(pending.values("promised_on")[:1]),
            )
        )

    @admin.display(description=_("bucket"), ordering="loan__days_past_due")
    def band(self, obj):
        return obj.bucket  # "31-60": the filter on the right spells it out

    @admin.display(description=_("days past due"), ordering="loan__days_past_due")
    def days_past_due(self, obj):
        return obj.loan.days_past_due

    @admin.display(description=_("amount overdue"), ordering="overdue_amount")
    def overdue(self, obj):
        return money.display(obj.overdue_amount, obj.loan.currency)

    @admin.display(description=_("promise"))
    def promise(self, obj):
        if getattr(obj, "promised_amount", None) is None:
            return "—"
        return gettext("%(amount)s by %(date)s") % {
            "amount": f"{obj.promised_amount:,.2f}",
            "date": f"{obj.promised_on:%Y-%m-%d}",
        }

    @admin.display(description=_("notes investors read"))
    def investor_notes(self, obj):
        updates = LoanUpdate.objects.filter(loan_id=obj.loan_id).order_by("-id")[:10]
        if not updates:
            return "—"
        return format_html_join(
            "", "<p><strong>{}</strong> {}</p>", ((u.posted_on, u.text) for u in updates)
        )

    def has_collect_permission(self, request):
        return self.has_view_permission(request) and may_collect(request.user)

    def _each(self, request, queryset, label, call):
        for case in queryset.select_related("loan"):
            try:
                call(case)
            except DomainError as exc:
                self.message_user(
                    request,
                    gettext("%(item)s: %(error)s") % {"item": case.loan, "error": exc.message},
                    messages.ERROR,
                )
            else:
                self.message_user(
                    request,
                    gettext("%(item)s: %(done)s.") % {"item": case.loan, "done": label},
                    messages.SUCCESS,
                )

    def _assign(self, request, queryset, assignee):
        self._each(
            request,
            queryset,
            gettext("assigned to %(assignee)s") % {"assignee": assignee},
            lambda case: case_assign(
                case_id=case.pk,
                assignee=assignee,
                actor=request.user,
                context=AuditContext.of(request),
            ),
        )

    @admin.action(description=_("Assign to me"), permissions=["collect"])
    def assign_to_me(self, request, queryset):
        self._assign(request, queryset, request.user)

    def _form(self, request):
        form = CollectionActionForm(request.POST)
        form.is_valid()
        return form.cleaned_data

    @admin.action(description=_("Assign to the chosen collector"), permissions=["collect"])
    def assign_to_collector(self, request, queryset):
        collector = self._form(request).get("collector")
        if collector is None:
            self.message_user(request, gettext("Choose a collector."), messages.ERROR)
            return
        self._assign(request, queryset, collector)

    @admin.action(description=_("Log a contact (channel, outcome)"), permissions=["collect"])
    def log_contact(self, request, queryset):
        data = self._form(request)
        self._each(
            request,
            queryset,
            gettext("contact logged"),
            lambda case: contact_log(
                case_id=case.pk,
                channel=data.get("channel", ""),
                outcome=data.get("outcome", ""),
                actor=request.user,
                context=AuditContext.of(request),
            ),
        )

    @admin.action(
        description=_("Record a promise to pay (amount, by date)"), permissions=["collect"]
    )
    def record_promise(self, request, queryset):
        data = self._form(request)
        try:
            amount = money.parse_amount(data.get("amount") or "")
        except money.AmountError as exc:
            self.message_user(
                request, gettext("Promised amount: %(error)s") % {"error": exc}, messages.ERROR
            )
            return
        if data.get("promised_on") is None:
            self.message_user(
                request, gettext("Give the date the borrower promised."), messages.ERROR
            )
            return
        self._each(
            request,
            queryset,
            gettext("promise of %(amount)s by %(date)s recorded")
            % {"amount": f"{amount:,.2f}", "date": f"{data['promised_on']:%Y-%m-%d}"},
            lambda case: promise_record(
                case_id=case.pk,
                amount=amount,
                promised_on=data["promised_on"],
                actor=request.user,
                context=AuditContext.of(request),
            ),
        )

    @admin.action(description=_("Post a note for the loan's investors"), permissions=["collect"])
    def post_investor_note(self, request, queryset):
        note = self._form(request).get("note", "")
        self._each(
            request,
            queryset,
            gettext("note posted for investors"),
            lambda case: loan_update_post(
                loan_id=case.loan_id,
                text=note,
                actor=request.user,
                context=AuditContext.of(request),
            ),
        )


@admin.register(LoanUpdate)
class LoanUpdateAdmin(ReadOnlyAdmin):
    """The notes investors read on loan pages (posted from the collections queue, or by the
    platform on default, write-off and hardship)."""

    list_display = ["loan", "posted_on", "text", "posted_by"]
    search_fields = ["loan__reference"]
    list_select_related = ["loan", "posted_by"]


def _schedule_table(lines) -> str:
    if not lines:
        return "—"
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                line["number"],
                f"{line['due_on']:%Y-%m-%d}",
                f"{line['principal_amount']:,.2f}",
                f"{line['interest_amount']:,.2f}",
                f"{line['total_amount']:,.2f}",
            )
            for line in lines
        ),
    )
    return format_html(
        '<table class="admin-structured"><thead><tr><th>#</th><th>Due</th><th>Principal</th>'
        "<th>Interest</th><th>Payment</th></tr></thead><tbody>{}</tbody></table>",
        rows,
    )


@admin.register(HardshipRequest)
class HardshipRequestAdmin(ActionsOnlyAdmin):
    """Hardship requests: the borrower's reason, the installments still to come and the
    schedule they would become; operations (or collections) approve or refuse (a refusal
    needs the reason the borrower will read)."""

    list_display = ["id", "loan", "kind", "months", "status", "submitted_on", "decided_by"]
    list_filter = ["status", "kind"]
    search_fields = ["loan__reference"]
    list_select_related = ["loan", "decided_by"]
    action_form = ReasonActionForm
    actions = ["approve", "refuse"]
    fields = readonly_fields = [
        "loan",
        "kind",
        "months",
        "reason",
        "status",
        "submitted_on",
        "current_schedule",
        "proposed_schedule",
        "decided_by",
        "decision_reason",
        "decided_at",
    ]

    @admin.display(description=_("payments still to come now"))
    def current_schedule(self, obj):
        if obj.status != HardshipRequest.Status.SUBMITTED:
            return "—"
        installments = obj.loan.installments.filter(
            status__in=Installment.OPEN_STATUSES, due_on__gt=obj.submitted_on
        ).order_by("number")
        return _schedule_table(
            {
                "number": i.number,
                "due_on": i.due_on,
                "principal_amount": i.principal_amount,
                "interest_amount": i.interest_amount,
                "total_amount": i.total_amount,
            }
            for i in installments
        )

    @admin.display(description=_("schedule the borrower asked for"))
    def proposed_schedule(self, obj):
        return _schedule_table(obj.schedule_lines)

    def has_decide_permission(self, request):
        return self.has_view_permission(request) and may_decide_hardship(request.user)

    def _decide(self, request, queryset, decision):
        reason = request.POST.get("reason", "").strip()
        for hardship in queryset.select_related("loan"):
            try:
                hardship_request_decide(
                    request_id=hardship.pk,
                    decider=request.user,
                    decision=decision,
                    reason=reason,
                    context=AuditContext.of(request),
                )
            except DomainError as exc:
                self.message_user(
                    request,
                    gettext("%(item)s: %(error)s") % {"item": hardship.loan, "error": exc.message},
                    messages.ERROR,
                )
            else:
                decided = _DECIDED.get(decision, decision)
                self.message_user(
                    request,
                    gettext("%(item)s: %(decided)s.") % {"item": hardship.loan, "decided": decided},
                    messages.SUCCESS,
                )

    @admin.action(
        description=_("Approve (the new schedule replaces the old)"), permissions=["decide"]
    )
    def approve(self, request, queryset):
        self._decide(request, queryset, "approve")

    @admin.action(description=_("Refuse (reason required)"), permissions=["decide"])
    def refuse(self, request, queryset):
        self._decide(request, queryset, "refuse")


@admin.register(LoanAgreement)
class LoanAgreementAdmin(ReadOnlyAdmin):
    """Each listed loan's agreement: its version and SHA-256 (the file is never changed)."""

    list_display = ["loan", "version", "sha256", "created_at"]
    search_fields = ["loan__reference", "sha256"]
    list_select_related = ["loan"]
