"""Onboarding reads: the signed-in user's onboarding state, decrypted identities, MFA."""

from dataclasses import dataclass

from allauth.mfa.models import Authenticator

from accounts import pii
from accounts.models import (
    BorrowerProfile,
    Enterprise,
    Identity,
    IdentityCheck,
    IdentityStatus,
    InvestorProfile,
    User,
)
from accounts.pii import PiiKind
from accounts.roles import Role


@dataclass
class Onboarding:
    """Where a user stands in onboarding, read once per request."""

    user: User
    identity: Identity | None
    last_check: IdentityCheck | None
    roles: set[str]
    investor_profile: InvestorProfile | None
    borrower_profile: BorrowerProfile | None
    enterprise: Enterprise | None = None

    @property
    def identity_status(self) -> str:
        if self.identity is not None:
            return IdentityStatus.VERIFIED
        if self.last_check is not None and self.last_check.status == IdentityCheck.Status.REJECTED:
            return IdentityStatus.REJECTED
        return IdentityStatus.UNVERIFIED

    @property
    def is_verified(self) -> bool:
        return self.identity is not None

    @property
    def is_investor(self) -> bool:
        return Role.INVESTOR.value in self.roles

    @property
    def is_borrower(self) -> bool:
        return Role.BORROWER.value in self.roles

    @property
    def is_enterprise(self) -> bool:
        """Borrows for a registered enterprise (an optional step; enterprise caps apply)."""
        return self.enterprise is not None

    @property
    def next_step(self) -> str | None:
        """The first unfinished wizard step: identity, roles, investor, borrower."""
        if not self.is_verified:
            return "identity"
        if not (self.is_investor or self.is_borrower):
            return "roles"
        if self.is_investor and self.investor_profile is None:
            return "investor"
        if self.is_borrower and self.borrower_profile is None:
            return "borrower"
        return None

    @property
    def is_complete(self) -> bool:
        return self.next_step is None


def onboarding_get(user: User) -> Onboarding:
    """Everything the dashboard, the wizard and GET /me show, in six queries."""
    identity = Identity.objects.filter(user=user).first()
    last_check = IdentityCheck.objects.filter(user=user).order_by("-created_at", "-id").first()
    return Onboarding(
        user=user,
        identity=identity,
        last_check=last_check,
        roles=set(user.groups.values_list("name", flat=True)),
        investor_profile=InvestorProfile.objects.filter(user=user).first(),
        borrower_profile=BorrowerProfile.objects.filter(user=user).first(),
        enterprise=Enterprise.objects.filter(user=user).first(),
    )


def identity_decrypted(identity: Identity) -> dict[str, str]:
    """The clear values, for an audited reveal, key rotation and the automatic review's
    bureau inquiry and blocklist match (lending.eligibility.review_identifiers) only."""
    return {
        PiiKind.LEGAL_NAME.value: pii.decrypt(identity.legal_name_encrypted),
        PiiKind.NATIONAL_ID.value: pii.decrypt(identity.national_id_encrypted),
        PiiKind.PHONE.value: pii.decrypt(identity.phone_encrypted),
        PiiKind.BANK_CARD.value: pii.decrypt(identity.bank_card_encrypted),
    }


def enterprise_decrypted(enterprise: Enterprise) -> dict[str, str]:
    """The clear values, for an audited reveal, key rotation and the automatic review's
    bureau inquiry and blocklist match (lending.eligibility.review_identifiers) only."""
    return {
        "company_name": pii.decrypt(enterprise.company_name_encrypted),
        "credit_code": pii.decrypt(enterprise.credit_code_encrypted),
        "legal_representative_name": pii.decrypt(enterprise.legal_representative_name_encrypted),
        "legal_representative_id": pii.decrypt(enterprise.legal_representative_id_encrypted),
        "registered_address": pii.decrypt(enterprise.registered_address_encrypted),
    }


def has_totp(user: User) -> bool:
    """Whether the user has enrolled an authenticator app (the MFA gate and settings page)."""
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
