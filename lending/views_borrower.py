"""The borrower's servicing pages: my loans with what is due, a loan's schedule and history,
repaying with a confirm step, and the standing repayment authorisation."""

import uuid
from decimal import Decimal

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core import money
from core.audit import AuditContext
from core.errors import DomainError
from custody.selectors import wallet_balance
from lending import selectors, servicing
from lending.business_date import business_date
from lending.errors import LoanNotRepaying
from lending.forms import RepayForm
from lending.models import Installment, Loan
from lending.positions import Position, borrowing_list_with_positions, position_of
from lending.services.repayments import (
    authorisation_grant,
    authorisation_revoke,
    repayment_make,
)
from lending.views import _page, role_required


def _loan_or_404(request, pk: int) -> Loan:
    return get_object_or_404(borrowing_list_with_positions(request.user), pk=pk)


@role_required("borrower")
@require_GET
def borrowing_list(request):
    """The borrower's loans, newest first, each with its next payment, what is due now
    and how late it is."""
    page = _page(request, borrowing_list_with_positions(request.user))
    as_of = business_date()
    for loan in page.object_list:
        loan.position = position_of(loan, as_of=as_of)
    return render(
        request,
        "lending/borrowing_list.html",
        {"page": page, "loans": page.object_list, "as_of": as_of, "section": "loans"},
    )


def _shown_status(installment: Installment, as_of) -> str:
    """The status a borrower reads: one fallen due today before the daily batch marked it
    is due, as the amount due now already counts it."""
    if installment.status == Installment.Status.SCHEDULED and installment.due_on <= as_of:
        return Installment.Status.DUE
    return installment.status


@role_required("borrower")
@require_GET
def borrowing_detail(request, pk: int):
    """A loan's position (due now, next payment, payoff, outstanding), its schedule with the
    state, late fee and penalty interest of each installment, and its repayments."""
    loan = get_object_or_404(
        borrowing_list_with_positions(request.user).select_related("agreement", "application"),
        pk=pk,
    )
    as_of = business_date()
    installments = list(selectors.installment_list(loan))
    position = loan.position = position_of(loan, as_of=as_of, installments=installments)
    labels = dict(Installment.Status.choices)
    for i in installments:
        i.shown_status = _shown_status(i, as_of)
        i.shown_label = labels[i.shown_status]
        i.late_charges_amount = i.late_fee_amount + i.penalty_amount
    totals = {
        part: sum((getattr(i, f"{part}_amount") for i in installments), Decimal("0.00"))
        for part in ("principal", "interest", "late_fee", "penalty", "paid", "owed")
    }
    repayments = list(selectors.repayment_list(loan))
    for r in repayments:
        r.late_charges_amount = r.late_fee_amount + r.penalty_amount
    return render(
        request,
        "lending/borrowing_detail.html",
        {
            "loan": loan,
            "position": position,
            "installments": installments,
            "totals": totals,
            "repayments": repayments,
            "section": "loans",
        },
    )


def _repay_page(request, loan, position, form, *, status=200, wallet=None):
    return render(
        request,
        "lending/borrowing_repay.html",
        {
            "loan": loan,
            "position": position,
            "form": form,
            "wallet": wallet or wallet_balance(user_id=request.user.pk),
            "section": "loans",
        },
        status=status,
    )


def _amount_chosen(form: RepayForm, position: Position, currency: str) -> Decimal | None:
    """The amount the borrower chose, or None with a form error when it cannot be paid."""
    choice = form.cleaned_data["choice"]
    if choice == RepayForm.ALL:
        return position.payoff_amount
    if choice == RepayForm.DUE:
        if position.due_amount <= 0:
            form.add_error("choice", _("Nothing is due today. You may pay another amount early."))
            return None
        return position.due_amount
    amount = form.cleaned_data["amount"]
    if amount > position.payoff_amount:
        form.add_error(
            "amount",
            _("Paying the whole loan off today takes %(payoff)s: enter no more than that.")
            % {"payoff": money.display(position.payoff_amount, currency)},
        )
        return None
    return amount


def _preview(position: Position, amount: Decimal, *, is_payoff: bool) -> dict:
    """What `amount` pays, part by part and installment by installment (the service's
    allocation: oldest installment first; late charges, interest, then principal)."""
    if is_payoff:
        owed, fee = position.quote.payoff.owed, position.quote.payoff.prepayment_fee
    else:
        owed, fee = position.quote.owed, servicing.ZERO
    paid = servicing.allocate_repayment(amount - fee, owed) if amount > fee else []
    parts = servicing.components(paid)
    numbers = {o.installment_id: o for o in owed}
    return {
        "late_charges": parts["late_fee"] + parts["penalty"],
        "interest": parts["interest"],
        "principal": parts["principal"],
        "prepayment_fee": fee,
        "lines": [
            {
                "number": numbers[p.installment_id].number,
                "due_on": numbers[p.installment_id].due_on,
                "amount": p.total,
                "settles": p.total == numbers[p.installment_id].total,
            }
            for p in paid
        ],
    }


@role_required("borrower")
@require_http_methods(["GET", "POST"])
def borrowing_repay(request, pk: int):
    """Repay in two steps: choose (due now, pay off, another amount) and review what it
    pays; the confirmed POST moves the money once (its one-time key travels in the form,
    so a double submit pays once). Refusals come back as form errors, never a 500."""
    loan = _loan_or_404(request, pk)
    position = position_of(loan, as_of=business_date())
    if request.method == "GET":
        due = position is not None and position.due_amount > 0
        form = RepayForm(initial={"choice": RepayForm.DUE if due else RepayForm.OTHER})
        return _repay_page(request, loan, position, form)
    form = RepayForm(request.POST)
    if not form.is_valid():
        return _repay_page(request, loan, position, form, status=400)
    if form.cleaned_data["confirmed"]:
        return _repay_confirmed(request, loan, position, form)
    if position is None:
        form.add_error(None, LoanNotRepaying.message)
        return _repay_page(request, loan, position, form, status=LoanNotRepaying.status_code)
    amount = _amount_chosen(form, position, loan.currency)
    if amount is None:
        return _repay_page(request, loan, position, form, status=400)
    wallet = wallet_balance(user_id=request.user.pk)
    if wallet.available < amount:
        form.add_error(
            None,
            _("Your wallet has %(available)s available: add %(missing)s to pay %(amount)s.")
            % {
                "available": money.display(wallet.available, wallet.currency),
                "missing": money.display(amount - wallet.available, wallet.currency),
                "amount": money.display(amount, loan.currency),
            },
        )
        return _repay_page(request, loan, position, form, status=409, wallet=wallet)
    is_payoff = amount == position.payoff_amount
    confirm = RepayForm(
        initial={
            "choice": form.cleaned_data["choice"],
            "amount": amount,
            "confirmed": True,
            "idempotency_key": uuid.uuid4().hex,
        }
    )
    return render(
        request,
        "lending/borrowing_repay_confirm.html",
        {
            "loan": loan,
            "position": position,
            "amount": amount,
            "is_payoff": is_payoff,
            "preview": _preview(position, amount, is_payoff=is_payoff),
            "wallet": wallet,
            "wallet_after": wallet.available - amount,
            "form": confirm,
            "section": "loans",
        },
    )


def _repay_confirmed(request, loan, position, form):
    """The confirmed repayment: exactly the amount reviewed, under the review's key."""
    amount, key = form.cleaned_data["amount"], form.cleaned_data["idempotency_key"]
    if amount is None:
        form.add_error(None, _("The confirmation was incomplete: review the repayment again."))
        return _repay_page(request, loan, position, form, status=400)
    repeated = selectors.repayment_list(loan).filter(idempotency_key=key).exists()
    if (
        form.cleaned_data["choice"] == RepayForm.ALL
        and not repeated
        and position is not None
        and amount != position.payoff_amount
    ):
        # The business date moved between review and confirm: paying the old figure would
        # leave the loan open, which is not what the borrower confirmed.
        form.add_error(
            None,
            _(
                "The payoff amount is now %(payoff)s; it was %(amount)s when you reviewed it. "
                "Review it again."
            )
            % {
                "payoff": money.display(position.payoff_amount, loan.currency),
                "amount": money.display(amount, loan.currency),
            },
        )
        return _repay_page(request, loan, position, form, status=409)
    try:
        repayment = repayment_make(
            loan_id=loan.pk,
            borrower=request.user,
            amount=amount,
            idempotency_key=key,
            context=AuditContext.of(request),
        )
    except DomainError as exc:
        form.add_error(None, exc.message)
        return _repay_page(request, loan, position, form, status=exc.status_code)
    paid = money.display(repayment.amount, repayment.currency)
    if repayment.is_payoff:
        messages.success(
            request,
            _("You paid %(amount)s and loan %(loan)s is paid off.")
            % {"amount": paid, "loan": loan.reference},
        )
    else:
        messages.success(
            request,
            _("You paid %(amount)s on loan %(loan)s. Thank you.")
            % {"amount": paid, "loan": loan.reference},
        )
    return redirect("lending:borrowing-detail", pk=loan.pk)


@role_required("borrower")
@require_http_methods(["GET", "POST"])
def borrowing_authorisation(request, pk: int):
    """The standing authorisation to collect each installment on its due date: what it
    means, whether it is on, and the button to give or withdraw it."""
    loan = _loan_or_404(request, pk)
    status, error = 200, None
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "grant":
                authorisation_grant(
                    loan_id=loan.pk, borrower=request.user, context=AuditContext.of(request)
                )
                messages.success(
                    request,
                    _(
                        "Automatic repayment is on for %(loan)s: each installment is collected "
                        "from your wallet on its due date. You can turn it off any time."
                    )
                    % {"loan": loan.reference},
                )
                return redirect("lending:borrowing-detail", pk=loan.pk)
            if action == "revoke":
                authorisation_revoke(
                    loan_id=loan.pk, borrower=request.user, context=AuditContext.of(request)
                )
                messages.success(
                    request,
                    _(
                        "Automatic repayment is off for %(loan)s: nothing is collected unless "
                        "you pay."
                    )
                    % {"loan": loan.reference},
                )
                return redirect("lending:borrowing-detail", pk=loan.pk)
            status, error = 400, _("Choose to turn automatic repayment on or off.")
        except DomainError as exc:
            status, error = exc.status_code, exc.message
    return render(
        request,
        "lending/borrowing_authorisation.html",
        {
            "loan": loan,
            "position": position_of(loan, as_of=business_date()),
            "error": error,
            "section": "loans",
        },
        status=status,
    )
