"""Errors of custody: each carries a stable code and maps to a 4xx response."""

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.errors import DomainError


class CustodyError(DomainError):
    code = "custody_error"


class InsufficientFunds(CustodyError):
    code = "insufficient_funds"
    status_code = status.HTTP_409_CONFLICT
    message = _("The account does not hold enough money for this movement.")


class InvalidAmount(CustodyError):
    code = "invalid_amount"
    status_code = status.HTTP_400_BAD_REQUEST
    message = _("The amount is not valid.")


class UnbalancedEntry(CustodyError):
    code = "unbalanced_entry"
    message = _("The postings of an entry must sum to zero.")


class AccountNotFound(CustodyError):
    code = "account_not_found"
    status_code = status.HTTP_404_NOT_FOUND
    message = _("No such ledger account.")


class CurrencyMismatch(CustodyError):
    code = "currency_mismatch"
    message = _("All postings of an entry must be in the same currency.")


class InvalidTransition(CustodyError):
    code = "invalid_transition"
    status_code = status.HTTP_409_CONFLICT
    message = _("The object is not in a state that allows this.")


class AuthorisationFailed(CustodyError):
    code = "transfer_not_authorised"
    status_code = status.HTTP_403_FORBIDDEN
    message = _("The transfer was not authorised: check your password.")


class AuthorisationLocked(AuthorisationFailed):
    code = "authorisation_locked"
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    message = _("Too many wrong transaction passwords: try again in 15 minutes.")


class TextRefused(CustodyError):
    """Free text others read (core.text): `code` is text_control_characters or
    text_too_long, `field` in the details names the field."""

    code = "text_control_characters"
    message = _("This text cannot be shown to others.")


class CallbackRefused(CustodyError):
    code = "callback_refused"
    status_code = status.HTTP_400_BAD_REQUEST
    message = _("The callback was refused.")


class SameStaffMember(CustodyError):
    code = "maker_checker_same_person"
    status_code = status.HTTP_403_FORBIDDEN
    message = _("A different staff member must approve this request.")


class ApproverRoleRequired(CustodyError):
    code = "approver_role_required"
    status_code = status.HTTP_403_FORBIDDEN
    message = _("Only a staff member with the approver role may approve adjustments.")


class CallbackSignatureInvalid(CallbackRefused):
    code = "callback_signature_invalid"
    status_code = status.HTTP_401_UNAUTHORIZED
    message = _("The callback signature does not match.")


class CallbackReplayed(CallbackRefused):
    code = "callback_replayed"
    status_code = status.HTTP_409_CONFLICT
    message = _("This callback was already received.")
