"""Ops admin of custody: the ledger read-only for everyone (superusers too), the
reconciliation breaks queue, and maker-checker adjustment approvals."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core import money
from core.admin import ReadOnlyAdmin, ResolutionNoteForm
from core.audit import AuditContext
from custody.errors import CustodyError
from custody.models import (
    AdjustmentRequest,
    Deposit,
    JournalEntry,
    LedgerAccount,
    Posting,
    ReconciliationBreak,
    ReconciliationRun,
    Withdrawal,
)
from custody.services.adjustments import adjustment_approve, adjustment_propose, adjustment_reject
from custody.services.reconciliation import break_resolve


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = ["id", "owner", "kind", "balance_amount", "currency", "created_at"]
    list_filter = ["kind"]
    search_fields = ["owner__email"]
    list_select_related = ["owner"]


class PostingInline(admin.TabularInline):
    model = Posting
    fields = ["account", "amount", "currency"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "kind", "memo", "idempotency_key"]
    list_filter = ["kind"]
    search_fields = ["idempotency_key", "memo"]
    inlines = [PostingInline]


@admin.register(Posting)
class PostingAdmin(ReadOnlyAdmin):
    # Millions of rows: skip the unfiltered COUNT(*) on every page.
    show_full_result_count = False
    list_display = ["id", "created_at", "entry", "account", "amount"]
    list_select_related = ["entry", "account"]
    search_fields = ["entry__idempotency_key"]


@admin.register(Deposit, Withdrawal)
class MovementAdmin(ReadOnlyAdmin):
    list_display = ["id", "user", "amount", "status", "reference", "created_at", "completed_at"]
    list_filter = ["status"]
    search_fields = ["reference", "user__email", "custodian_ref"]
    list_select_related = ["user"]


class BreakInline(admin.TabularInline):
    model = ReconciliationBreak
    fields = ["kind", "reference", "statement_amount", "ledger_amount", "status"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "statement_on",
        "accounts_checked",
        "balance_mismatches",
        "balances_sum_amount",
        "statement_lines",
        "breaks_found",
        "finished_at",
    ]
    inlines = [BreakInline]


class BreakResolveForm(ResolutionNoteForm):
    note_required = _("Say how the break was resolved.")

    class Meta:
        model = ReconciliationBreak
        fields = ["resolution_note"]


@admin.register(ReconciliationBreak)
class ReconciliationBreakAdmin(admin.ModelAdmin):
    """The breaks queue: open breaks first; resolving one records who and why."""

    form = BreakResolveForm
    list_display = [
        "id",
        "statement_on",
        "kind",
        "reference",
        "statement_amount",
        "ledger_amount",
        "status",
    ]
    list_filter = ["status", "kind", "statement_on"]
    search_fields = ["reference"]
    readonly_fields = [
        "run",
        "statement_on",
        "kind",
        "reference",
        "statement_amount",
        "ledger_amount",
        "status",
        "resolved_by",
        "resolved_at",
    ]
    fields = [*readonly_fields, "resolution_note"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status != ReconciliationBreak.Status.OPEN:
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        break_resolve(
            break_id=obj.pk, actor=request.user, note=form.cleaned_data["resolution_note"]
        )


class AdjustmentProposeForm(forms.ModelForm):
    # A text field parsed by the money module: Django's DecimalField would take "1e5" and
    # non-ASCII digits.
    amount = forms.CharField(
        max_length=33,
        help_text=_("Positive credits the account, negative debits it; e.g. -12.50."),
    )

    class Meta:
        model = AdjustmentRequest
        fields = ["account", "amount", "reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "account" in self.fields:
            # The suspense account is the other side of every adjustment, never its target.
            self.fields["account"].queryset = (
                LedgerAccount.objects.exclude(kind=LedgerAccount.Kind.ADJUSTMENT)
                .select_related("owner")
                .order_by("id")
            )

    def clean_amount(self):
        try:
            return money.parse_signed_amount(self.cleaned_data["amount"])
        except money.AmountError as exc:
            raise ValidationError(str(exc), code=exc.code) from None


@admin.register(AdjustmentRequest)
class AdjustmentRequestAdmin(admin.ModelAdmin):
    """Maker proposes here; a different approver approves with the list action."""

    form = AdjustmentProposeForm
    list_display = [
        "id",
        "account",
        "amount",
        "status",
        "proposed_by",
        "decided_by",
        "proposed_at",
        "entry",
    ]
    list_filter = ["status"]
    list_select_related = ["account", "proposed_by", "decided_by", "entry"]
    actions = ["approve", "reject"]
    readonly_fields = ["status", "proposed_by", "proposed_at", "decided_by", "decided_at", "entry"]

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # Existing requests are never edited: decisions go through the actions.
        if obj is not None:
            return False
        return super().has_change_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return ["account", "amount", "reason", *self.readonly_fields]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        proposal = adjustment_propose(
            actor=request.user,
            account_id=form.cleaned_data["account"].pk,
            amount=form.cleaned_data["amount"],
            reason=form.cleaned_data["reason"],
            context=AuditContext.of(request),
        )
        obj.pk = proposal.pk

    def _decide(self, request, queryset, service, verb):
        for proposal in queryset:
            try:
                service(
                    actor=request.user, proposal_id=proposal.pk, context=AuditContext.of(request)
                )
            except CustodyError as exc:
                self.message_user(
                    request,
                    gettext("#%(id)s: %(error)s") % {"id": proposal.pk, "error": exc.message},
                    messages.ERROR,
                )
            else:
                self.message_user(request, verb % {"id": proposal.pk}, messages.SUCCESS)

    @admin.action(description=_("Approve and post selected adjustments"), permissions=["change"])
    def approve(self, request, queryset):
        self._decide(request, queryset, adjustment_approve, _("#%(id)s approved and posted."))

    @admin.action(description=_("Reject selected adjustments"), permissions=["change"])
    def reject(self, request, queryset):
        self._decide(request, queryset, adjustment_reject, _("#%(id)s rejected."))
