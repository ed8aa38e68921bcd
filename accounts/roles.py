"""The platform's roles. Each role is a Django group; staff roles carry permissions."""

from django.db import models


class Role(models.TextChoices):
    INVESTOR = "investor", "Investor"
    BORROWER = "borrower", "Borrower"
    REVIEWER = "reviewer", "Risk reviewer"
    APPROVER = "approver", "Disbursement approver"
    COLLECTIONS = "collections", "Collections agent"
    COMPLIANCE = "compliance", "Compliance officer"
    REGULATOR = "regulator", "Regulator"
    OPERATIONS = "operations", "Operations"


CUSTOMER_ROLES = frozenset({Role.INVESTOR, Role.BORROWER})
STAFF_ROLES = frozenset(
    {
        Role.REVIEWER,
        Role.APPROVER,
        Role.COLLECTIONS,
        Role.COMPLIANCE,
        Role.REGULATOR,
        Role.OPERATIONS,
    }
)
# Roles whose holders must enrol TOTP before their first action.
MFA_REQUIRED_ROLES = STAFF_ROLES
# Roles that open the Django admin (is_staff). Regulators use their own portal instead.
ADMIN_ROLES = STAFF_ROLES - {Role.REGULATOR}

# Model permissions each staff role holds, as "app_label.codename". Apps add theirs here
# as their models arrive; `roles_sync` (run after every migrate) applies the table.
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    # Reviewers work from masked data; clear PII is for compliance, with a recorded reason.
    Role.REVIEWER: (
        "accounts.view_identity",
        "accounts.view_fraudsignal",
        "accounts.view_borrowerprofile",
    ),
    Role.APPROVER: (
        "custody.view_ledgeraccount",
        "custody.view_journalentry",
        "custody.view_posting",
        "custody.view_adjustmentrequest",
        "custody.add_adjustmentrequest",
        "custody.change_adjustmentrequest",
    ),
    Role.COLLECTIONS: (),
    Role.COMPLIANCE: (
        "core.view_auditevent",
        "accounts.view_identity",
        "accounts.reveal_identity_pii",
        "accounts.view_identitycheck",
        "accounts.view_fraudsignal",
        "accounts.view_investorprofile",
        "custody.view_ledgeraccount",
        "custody.view_journalentry",
        "custody.view_posting",
        "custody.view_deposit",
        "custody.view_withdrawal",
        "custody.view_reconciliationrun",
        "custody.view_reconciliationbreak",
        "custody.change_reconciliationbreak",
        "custody.view_adjustmentrequest",
        "custody.add_adjustmentrequest",
    ),
    Role.REGULATOR: (),
    Role.OPERATIONS: (),
}

# Lending: reviewers work the application queue and the blocklist; approvers start and
# check disbursements; operations define products and start disbursements (an approver
# checks them); compliance reads everything.
_LENDING_VIEW_ALL = tuple(
    f"lending.view_{model}"
    for model in (
        "product",
        "application",
        "loan",
        "investment",
        "installment",
        "disbursement",
        "autoinvestrule",
        "blocklistentry",
        "notification",
    )
)
ROLE_PERMISSIONS[Role.REVIEWER] += (
    "lending.view_product",
    "lending.view_application",
    "lending.change_application",
    "lending.view_loan",
    "lending.view_blocklistentry",
    "lending.add_blocklistentry",
)
ROLE_PERMISSIONS[Role.APPROVER] += (
    "lending.view_loan",
    "lending.view_investment",
    "lending.view_disbursement",
    "lending.view_installment",
)
ROLE_PERMISSIONS[Role.COMPLIANCE] += _LENDING_VIEW_ALL
# Products are edited, never deleted: loans keep them (PROTECT) and copy their fee terms.
ROLE_PERMISSIONS[Role.OPERATIONS] += (
    "lending.view_product",
    "lending.add_product",
    "lending.change_product",
    "lending.view_application",
    "lending.view_loan",
    "lending.view_investment",
    "lending.view_disbursement",
)
# Collections: the collections role works the case queue (actions call the services, which
# check the role again) and decides hardship requests with operations; compliance reads all.
_SERVICING_VIEW = tuple(
    f"lending.view_{model}"
    for model in (
        "collectioncase",
        "collectioncontact",
        "promisetopay",
        "loanupdate",
        "hardshiprequest",
    )
)
ROLE_PERMISSIONS[Role.COLLECTIONS] += (
    *_SERVICING_VIEW,
    "lending.view_loan",
    "lending.view_installment",
)
ROLE_PERMISSIONS[Role.OPERATIONS] += ("lending.view_hardshiprequest", "lending.view_loanupdate")
ROLE_PERMISSIONS[Role.COMPLIANCE] += _SERVICING_VIEW
# Enterprise borrowers: reviewers see the masked facts; compliance sees the registry
# decisions and may reveal the clear values (audited, with a reason).
ROLE_PERMISSIONS[Role.REVIEWER] += ("accounts.view_enterprise",)
# Ops alerts (compliance.models): both see and resolve them; compliance sees the audit
# chain's verification runs.
ROLE_PERMISSIONS[Role.COMPLIANCE] += (
    "compliance.view_opsalert",
    "compliance.change_opsalert",
    "compliance.view_auditchaincheck",
    "compliance.view_complaint",
    "compliance.change_complaint",
    "compliance.view_complaintmessage",
)
ROLE_PERMISSIONS[Role.OPERATIONS] += ("compliance.view_opsalert", "compliance.change_opsalert")
ROLE_PERMISSIONS[Role.COMPLIANCE] += (
    "accounts.view_enterprise",
    "accounts.view_enterprisecheck",
    "accounts.reveal_enterprise_pii",
)
# Promotion (promotion.models): operations run campaigns and read where customers came from
# and who agreed to marketing; compliance reads the same.
_PROMOTION_VIEW = (
    "promotion.view_attribution",
    "promotion.view_marketingconsent",
    "promotion.view_consentchange",
)
ROLE_PERMISSIONS[Role.OPERATIONS] += _PROMOTION_VIEW
ROLE_PERMISSIONS[Role.COMPLIANCE] += _PROMOTION_VIEW


def roles_sync(**kwargs) -> None:
    """Create a group per role and give staff groups exactly their listed permissions."""
    from django.contrib.auth.models import Group, Permission

    for role in Role:
        group, _ = Group.objects.get_or_create(name=role.value)
        wanted = ROLE_PERMISSIONS.get(role, ())
        if not wanted and role not in STAFF_ROLES:
            continue
        permissions = []
        for dotted in wanted:
            app_label, codename = dotted.split(".", 1)
            permissions.extend(
                Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(permissions)
