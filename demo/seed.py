"""Demo users of every role. Staff demo users get a fixed TOTP secret so they can sign in."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts.roles import ADMIN_ROLES, Role
from demo.accounts_data import seed_accounts
from demo.custody_data import seed_custody
from demo.lending_data import seed_lending
from demo.promotion_data import seed_promotion
from demo.servicing_data import seed_history

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - printed for the demo on purpose
# Staff must use TOTP; demo staff share this secret (add it to any authenticator app).
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105

DEMO_USERS = [
    ("investor@demo.example", [Role.INVESTOR], "investor"),
    ("borrower@demo.example", [Role.BORROWER], "borrower"),
    ("both@demo.example", [Role.INVESTOR, Role.BORROWER], "investor and borrower"),
    ("enterprise@demo.example", [Role.BORROWER], "enterprise borrower (borrows for a company)"),
    ("reviewer@demo.example", [Role.REVIEWER], "risk reviewer (staff, TOTP)"),
    ("approver@demo.example", [Role.APPROVER], "disbursement approver (staff, TOTP)"),
    ("approver2@demo.example", [Role.APPROVER], "second approver (staff, TOTP)"),
    ("collections@demo.example", [Role.COLLECTIONS], "collections (staff, TOTP)"),
    ("compliance@demo.example", [Role.COMPLIANCE], "compliance officer (staff, TOTP)"),
    ("operations@demo.example", [Role.OPERATIONS], "operations: products, disbursements (TOTP)"),
    ("regulator@demo.example", [Role.REGULATOR], "regulator (TOTP)"),
]


def _user(email: str, roles: list[Role]):
    User = get_user_model()
    user, created = User.objects.get_or_create(email=email)
    if created:
        user.set_password(DEMO_PASSWORD)
        user.is_staff = any(role in ADMIN_ROLES for role in roles)
        user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    user.groups.add(*Group.objects.filter(name__in=[r.value for r in roles]))
    if (
        user.requires_mfa
        and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    ):
        TOTP.activate(user, DEMO_TOTP_SECRET)
    return user


def seed_users() -> dict[str, object]:
    """Create every demo user; return them by email."""
    return {email: _user(email, roles) for email, roles, _ in DEMO_USERS}


def seed_all() -> list[tuple[str, str]]:
    """Seed every area in dependency order; return (email, description) pairs to print.

    Each area adds one call here to its own `demo/<area>_data.py` module.
    """
    users = seed_users()
    seed_accounts()
    seed_custody(users, DEMO_PASSWORD)
    history = seed_history()
    seed_lending(advance_to=history.advance_to if history else None)
    seed_promotion()
    return [(email, description) for email, _, description in DEMO_USERS]
