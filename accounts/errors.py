"""Errors of accounts: each has a stable code, an HTTP status and a message."""

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.errors import DomainError


class AccountsError(DomainError):
    code = "accounts_error"


class MfaRequired(AccountsError):
    code = "mfa_required"
    status_code = status.HTTP_403_FORBIDDEN
    message = _("Enrol an authenticator app before using staff functions.")


class LoginUnlockInvalid(AccountsError):
    """An unlock link that was altered, has expired or was used already."""

    code = "unlock_link_invalid"
    message = _("This unlock link has expired or was used already.")


class StaffEmailTaken(AccountsError):
    code = "email_taken"
    status_code = status.HTTP_409_CONFLICT
    message = _("An account with this email address already exists.")


class StaffRoleUnknown(AccountsError):
    code = "role_unknown"
    message = _("Not a staff role.")


class StaffPasswordInvalid(AccountsError):
    """The password fails AUTH_PASSWORD_VALIDATORS; the message lists each reason."""

    code = "password_invalid"
    message = _("The password is too weak.")


class IdentityRejected(AccountsError):
    """The identity provider refused the submission; `code` is its first reason."""

    code = "identity_rejected"
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    message = _("The identity check did not pass.")


class DuplicateIdentity(AccountsError):
    code = "duplicate_identity"
    status_code = status.HTTP_409_CONFLICT
    message = _("These details are already registered to another account.")


class IdentityAlreadyVerified(AccountsError):
    code = "identity_already_verified"
    status_code = status.HTTP_409_CONFLICT
    message = _("Your identity is already verified.")


class IdentityAttemptsExceeded(AccountsError):
    code = "identity_attempts_exceeded"
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    message = _("Too many failed identity checks. Try again tomorrow or contact support.")


class NationalIdAttemptsExceeded(IdentityAttemptsExceeded):
    """Too many failed checks naming this national ID, from any accounts: accounts are
    cheap to make, so the per-account cap alone would let many of them probe one ID."""

    code = "national_id_attempts_exceeded"
    message = _(
        "This ID number has failed too many identity checks in the last 24 hours. "
        "Try again tomorrow or contact support."
    )


class ClientAttemptsExceeded(IdentityAttemptsExceeded):
    """Too many failed checks from this client network, whatever accounts and IDs: one
    client probing many ID numbers through many accounts."""

    code = "client_attempts_exceeded"
    message = _(
        "Too many failed identity checks from your network in the last 24 hours. "
        "Try again tomorrow or contact support."
    )


class IdentityNotVerified(AccountsError):
    code = "identity_not_verified"
    status_code = status.HTTP_403_FORBIDDEN
    message = _("Verify your identity first.")


class RoleNotAllowed(AccountsError):
    code = "role_not_allowed"
    message = _("Only the investor and borrower roles can be chosen.")


class StaffNotAllowed(AccountsError):
    """A staff account on a customer path (DESIGN.md section 7): refused before any work."""

    code = "staff_not_allowed"
    status_code = status.HTTP_403_FORBIDDEN
    message = _(
        "Staff accounts cannot invest, borrow, hold a wallet, verify an identity or take a "
        "customer role. Use a personal account for that."
    )


class RoleRequired(AccountsError):
    code = "role_required"
    status_code = status.HTTP_403_FORBIDDEN
    message = _("This needs a role you do not hold.")


class TextRefused(AccountsError):
    """Free text others read (core.text): `code` is text_control_characters or
    text_too_long, `field` in the details names the field."""

    code = "text_control_characters"
    message = _("This text cannot be shown to others.")


class PiiRevealForbidden(AccountsError):
    code = "pii_view_forbidden"
    status_code = status.HTTP_403_FORBIDDEN
    message = _("You may not view personal data.")


class PiiRevealReasonRequired(AccountsError):
    code = "pii_view_reason_required"
    status_code = status.HTTP_400_BAD_REQUEST
    message = _("State why you need to see this person's data (at least 10 characters).")


class SuitabilityRefused(AccountsError):
    """The questionnaire cannot be assessed (risks unacknowledged, thresholds unmet)."""

    code = "suitability_refused"
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY


class EnterpriseRejected(AccountsError):
    """The enterprise cannot be registered; `code` is the first reason (bad input, a
    registry refusal, or a legal representative who is not the verified user)."""

    code = "enterprise_rejected"
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    message = _("The enterprise could not be verified.")


class DuplicateEnterprise(AccountsError):
    code = "duplicate_credit_code"
    status_code = status.HTTP_409_CONFLICT
    message = _("This credit code is already registered to another account.")


class EnterpriseAlreadyRegistered(AccountsError):
    code = "enterprise_already_registered"
    status_code = status.HTTP_409_CONFLICT
    message = _("Your account already borrows for a registered enterprise.")


class EnterpriseAttemptsExceeded(AccountsError):
    code = "enterprise_attempts_exceeded"
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    message = _("Too many failed enterprise registrations. Try again tomorrow or contact support.")


# Enterprise reasons (input checks, the registry, the platform's rules) and their messages.
ENTERPRISE_REASON_MESSAGES = {
    "invalid_company_name": _("Enter the company's full legal name as on its business licence."),
    "invalid_credit_code": _(
        "A unified social credit code has 18 digits and capital letters (no I, O, S, V or Z)."
    ),
    "invalid_credit_code_checksum": _(
        "This credit code's check character is wrong: check for a typing mistake."
    ),
    "credit_code_not_enterprise": _(
        "Only enterprises registered with the market regulator (codes starting with 9) can borrow."
    ),
    "invalid_legal_representative_id": _(
        "The legal representative's ID number is not a valid resident ID number."
    ),
    "legal_representative_mismatch": _(
        "The legal representative must be you: enter the name and "
        "ID number of your verified identity."
    ),
    "invalid_registered_address": _("Enter the registered address on the business licence."),
    "enterprise_deregistered": _("The registry shows this enterprise as deregistered."),
    "enterprise_revoked": _("The registry shows this enterprise's business licence as revoked."),
    "enterprise_abnormal_operations": _(
        "The registry lists this enterprise for abnormal operations. Contact support."
    ),
    "duplicate_credit_code": _("This credit code is already registered to another account."),
}


# Provider reasons and the messages a person sees for them.
IDENTITY_REASON_MESSAGES = {
    "invalid_legal_name": _("Enter your legal name as on your ID card (2-30 letters, no digits)."),
    "invalid_national_id": _("The ID number is not a valid resident ID number."),
    "underage": _("You must be 18 or older to use the platform."),
    "invalid_phone": _("Enter a China mobile number (11 digits starting with 1)."),
    "invalid_bank_card": _("The bank card number is not valid (16-19 digits)."),
    "identity_blocklisted": _("We cannot verify this identity. Contact support."),
    "duplicate_identity": _("This ID number is already registered to another account."),
    "duplicate_phone": _("This phone number is already registered to another account."),
    "duplicate_bank_card": _("This bank card is already registered to another account."),
}
