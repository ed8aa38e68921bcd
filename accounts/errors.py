"""Errors of accounts: each has a stable code, an HTTP status and a message."""

from rest_framework import status

from config.errors import DomainError


class AccountsError(DomainError):
    code = "accounts_error"


class MfaRequired(AccountsError):
    code = "mfa_required"
    status_code = status.HTTP_403_FORBIDDEN
    message = "Enrol an authenticator app before using staff functions."


class StaffEmailTaken(AccountsError):
    code = "email_taken"
    status_code = status.HTTP_409_CONFLICT
    message = "An account with this email address already exists."


class StaffRoleUnknown(AccountsError):
    code = "role_unknown"
    message = "Not a staff role."
