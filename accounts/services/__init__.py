"""Onboarding's writes, a module per concept: roles and the customer guards (roles), the
identity check (identity), enterprise borrowers (enterprise), investor and borrower
profiles (profiles), staff reading personal data (pii_access) and staff accounts (staff).
The names other apps and the interfaces use are exported here."""

from accounts.services.enterprise import (
    ensure_enterprise_attempts_left,
    enterprise_pii_reveal,
    enterprise_pii_rotate,
    enterprise_submit,
)
from accounts.services.identity import (
    client_network,
    ensure_identity_attempts_left,
    identity_pii_reveal,
    identity_pii_rotate,
    identity_submit,
)
from accounts.services.pii_access import ensure_pii_reveal_allowed
from accounts.services.profiles import (
    SuitabilityInput,
    borrower_profile_submit,
    investor_profile_assess,
    investor_profile_submit,
)
from accounts.services.roles import ensure_customer, ensure_public_text, ensure_role, role_grant
from accounts.services.staff import staff_create

__all__ = [
    "SuitabilityInput",
    "borrower_profile_submit",
    "client_network",
    "ensure_customer",
    "ensure_enterprise_attempts_left",
    "ensure_identity_attempts_left",
    "ensure_pii_reveal_allowed",
    "ensure_public_text",
    "ensure_role",
    "enterprise_pii_reveal",
    "enterprise_pii_rotate",
    "enterprise_submit",
    "identity_pii_reveal",
    "identity_pii_rotate",
    "identity_submit",
    "investor_profile_assess",
    "investor_profile_submit",
    "role_grant",
    "staff_create",
]
