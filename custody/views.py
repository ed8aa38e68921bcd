"""Pages of the wallet (balances, deposit, withdraw with confirmation, history with CSV)
and the endpoint custodian banks call back."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import customer_required
from core import money
from core.audit import AuditContext
from core.errors import json_error
from custody import selectors
from custody.errors import AuthorisationLocked, CustodyError
from custody.exports import postings_csv_response
from custody.forms import DepositForm, HistoryFilterForm, WithdrawalConfirmForm, WithdrawalForm
from custody.services.callbacks import callback_receive
from custody.services.movements import deposit_request, withdrawal_request


def _wallet_context(request, **extra):
    user_id = request.user.pk
    balance = selectors.wallet_balance(user_id=user_id)
    return {
        "balance": balance,
        "custodian": selectors.custodian_balance_check(user_id=user_id, ledger_total=balance.total),
        "recent": selectors.wallet_movements(selectors.wallet_movement_list(user_id=user_id)[:8]),
        "deposits": selectors.deposit_list(user_id=user_id)[:5],
        "withdrawals": selectors.withdrawal_list(user_id=user_id)[:5],
        "deposit_form": DepositForm(),
        "withdrawal_form": WithdrawalForm(),
        **extra,
    }


@customer_required
@require_GET
def wallet(request):
    return render(request, "custody/wallet_detail.html", _wallet_context(request))


@customer_required
@require_POST
def wallet_deposit(request):
    form = DepositForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "custody/wallet_detail.html",
            _wallet_context(request, deposit_form=form),
            status=400,
        )
    try:
        deposit = deposit_request(
            user=request.user,
            amount=form.cleaned_data["amount"],
            request_key=f"page:{form.cleaned_data['token']}",
            context=AuditContext.of(request),
        )
    except CustodyError as exc:
        form.add_error("amount", exc.message)
        return render(
            request,
            "custody/wallet_detail.html",
            _wallet_context(request, deposit_form=form),
            status=400,
        )
    messages.success(
        request,
        _("Deposit of %(amount)s sent to the custodian bank; it appears once the bank confirms.")
        % {"amount": money.display(deposit.amount, deposit.currency)},
    )
    return redirect("custody:wallet")


@customer_required
@require_http_methods(["GET", "POST"])
def wallet_withdraw(request):
    """Two steps: the amount (from the wallet page), then a confirmation with the password."""
    balance = selectors.wallet_balance(user_id=request.user.pk)
    if request.method == "GET" or "password" not in request.POST:
        form = WithdrawalForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            # Refused now rather than after the password: the request would refuse it too.
            if form.cleaned_data["amount"] > balance.available:
                form.add_error(
                    "amount",
                    _("You have %(amount)s available to withdraw.")
                    % {"amount": money.display(balance.available, balance.currency)},
                )
            else:
                confirm = WithdrawalConfirmForm(initial=form.cleaned_data)
                return render(
                    request,
                    "custody/withdrawal_confirm.html",
                    {"form": confirm, "amount": form.cleaned_data["amount"], "balance": balance},
                )
        if request.method == "POST":
            return render(
                request,
                "custody/wallet_detail.html",
                _wallet_context(request, withdrawal_form=form),
                status=400,
            )
        return redirect("custody:wallet")
    form = WithdrawalConfirmForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            withdrawal = withdrawal_request(
                user=request.user,
                amount=form.cleaned_data["amount"],
                confirmation=form.cleaned_data["password"],
                request_key=f"page:{form.cleaned_data['token']}",
                context=AuditContext.of(request),
            )
        except CustodyError as exc:
            form.add_error(None, exc.message)
            if isinstance(exc, AuthorisationLocked):
                status = exc.status_code
        else:
            messages.success(
                request,
                _(
                    "Withdrawal of %(amount)s requested; the money is reserved until the "
                    "custodian bank pays it out."
                )
                % {"amount": money.display(withdrawal.amount, withdrawal.currency)},
            )
            return redirect("custody:wallet")
    amount = form.cleaned_data.get("amount") if hasattr(form, "cleaned_data") else None
    return render(
        request,
        "custody/withdrawal_confirm.html",
        {"form": form, "amount": amount, "balance": balance},
        status=status,
    )


@customer_required
@require_GET
def wallet_history(request):
    form = HistoryFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        # Like the API's 400: a filter that does not parse is shown, never silently dropped
        # (an export would otherwise hold every posting instead of the asked-for range).
        return render(
            request,
            "custody/wallet_history.html",
            {
                "form": form,
                "page": Paginator([], 25).get_page(1),
                "query": "",
                "balance": selectors.wallet_balance(user_id=request.user.pk),
            },
            status=400,
        )
    filters = {k: v for k, v in (form.cleaned_data if form.is_bound else {}).items() if v}
    export = filters.pop("export", "")
    if export == "csv":
        # The export is the ledger's own record: every posting, for a spreadsheet to sum.
        postings = selectors.wallet_posting_list(user_id=request.user.pk, **filters)
        return postings_csv_response(postings, "wallet-history.csv")
    # The page: one line per movement (a reservation is one line, not a minus and a plus).
    page = Paginator(
        selectors.wallet_movement_list(user_id=request.user.pk, **filters), 25
    ).get_page(request.GET.get("page"))
    page.object_list = selectors.wallet_movements(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "custody/wallet_history.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "balance": selectors.wallet_balance(user_id=request.user.pk),
        },
    )


@csrf_exempt
@require_POST
def custodian_callback(request, custodian: str):
    """Signed deposit and withdrawal results from a custodian bank."""
    try:
        result = callback_receive(custodian=custodian, headers=request.headers, body=request.body)
    except CustodyError as exc:
        return json_error(exc.status_code, exc.code, exc.message)
    return JsonResponse(result)
