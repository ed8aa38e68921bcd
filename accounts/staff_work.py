"""What each staff role can do, as the dashboard and the operations console list it: links
to the queues a role works, and a plain note where a role's tools are not built yet, so no
staff member lands on an empty page or a refusal.

Links name admin pages by URL name, so this module imports no app; a link whose page is not
there (or which the user may not open) is left out.
"""

from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role


@dataclass(frozen=True)
class Task:
    label: str
    description: str
    url_name: str
    query: str = ""
    # The model permission the page needs ("app.view_model"); None for public pages.
    permission: str | None = None


@dataclass(frozen=True)
class RoleWork:
    role: str
    label: str
    tasks: list[dict] = field(default_factory=list)
    note: str = ""


# A role's own tool that is being built: once its page exists and the role may open it, it
# leads the role's list and the role's "not available yet" note is no longer shown.
_COMING: dict[str, Task] = {
    Role.REGULATOR: Task(
        _("Regulator portal"),
        _("Filings, platform statistics, the audit trail and your inspection requests."),
        "compliance:portal",
    ),
    Role.COLLECTIONS: Task(
        _("Collections queue"),
        _("Cases opened from the delinquency buckets: contacts, promises to pay."),
        "admin:lending_collectioncase_changelist",
        permission="lending.view_collectioncase",
    ),
}

_WORK: dict[str, tuple[list[Task], str]] = {
    Role.REVIEWER: (
        [
            Task(
                _("Review queue"),
                _(
                    "Applications waiting for a decision: open one to see the bureau report, "
                    "affordability and fraud flags, then approve or reject with a reason."
                ),
                "admin:lending_application_changelist",
                "?queue=waiting",
                "lending.view_application",
            ),
            Task(
                _("Blocklist"),
                _("Block an ID number, phone, bank card, credit code or email."),
                "admin:lending_blocklistentry_changelist",
                permission="lending.view_blocklistentry",
            ),
            Task(
                _("Borrower profiles"),
                _("Declared income, obligations and employment (masked)."),
                "admin:accounts_borrowerprofile_changelist",
                permission="accounts.view_borrowerprofile",
            ),
        ],
        "",
    ),
    Role.APPROVER: (
        [
            Task(
                _("Disbursements to approve"),
                _("Loans another person started paying out, above the maker-checker threshold."),
                "admin:lending_loan_changelist",
                "?disbursement=to_approve",
                "lending.view_loan",
            ),
            Task(
                _("Funded loans to start"),
                _("Fully funded loans waiting for their disbursement to start."),
                "admin:lending_loan_changelist",
                "?disbursement=to_start",
                "lending.view_loan",
            ),
            Task(
                _("Ledger"),
                _("Journal entries, read-only."),
                "admin:custody_journalentry_changelist",
                permission="custody.view_journalentry",
            ),
            Task(
                _("Adjustments"),
                _("Proposed ledger corrections waiting for a second person."),
                "admin:custody_adjustmentrequest_changelist",
                permission="custody.view_adjustmentrequest",
            ),
        ],
        "",
    ),
    Role.OPERATIONS: (
        [
            Task(
                _("Products"),
                _("Terms, amounts, repayment methods, rates by grade and fees."),
                "admin:lending_product_changelist",
                permission="lending.view_product",
            ),
            Task(
                _("Funded loans to start"),
                _("Start a disbursement; above the threshold an approver then approves it."),
                "admin:lending_loan_changelist",
                "?disbursement=to_start",
                "lending.view_loan",
            ),
            Task(
                _("Applications"),
                _("Every application and its status, read-only."),
                "admin:lending_application_changelist",
                permission="lending.view_application",
            ),
        ],
        "",
    ),
    Role.COMPLIANCE: (
        [
            Task(
                _("Audit trail"),
                _("Every regulated action: who, what, when and from where."),
                "admin:core_auditevent_changelist",
                permission="core.view_auditevent",
            ),
            Task(
                _("Reconciliation breaks"),
                _("Differences between the custodian's statement and the ledger."),
                "admin:custody_reconciliationbreak_changelist",
                permission="custody.view_reconciliationbreak",
            ),
            Task(
                _("Identities"),
                _("Masked identities; reveal the clear values with a recorded reason."),
                "admin:accounts_identity_changelist",
                permission="accounts.view_identity",
            ),
            Task(
                _("Inspection requests"),
                _("The regulators' requests for information: assign, answer with documents."),
                "admin:compliance_inspectionrequest_changelist",
                "?status__exact=open",
                "compliance.view_inspectionrequest",
            ),
        ],
        "",
    ),
    Role.COLLECTIONS: (
        [
            Task(
                _("Overdue installments"),
                _("Installments past their due date, with their loan, read-only."),
                "admin:lending_installment_changelist",
                "?status__exact=overdue",
                "lending.view_installment",
            ),
            Task(
                _("Loans"),
                _("Every loan with its status and borrower, read-only."),
                "admin:lending_loan_changelist",
                permission="lending.view_loan",
            ),
        ],
        _(
            "The collections queue (cases opened from the delinquency buckets, with contact "
            "notes and promises to pay) is not open yet. Until it is, use the overdue "
            "installments and the loans above to prepare your calls; nothing here changes a loan."
        ),
    ),
    Role.REGULATOR: (
        [
            Task(
                _("Filings"),
                _("Daily loan-level files and monthly statistics reports to download."),
                "compliance:filing-list",
            ),
            Task(
                _("Platform statistics"),
                _("The published figures, each with the loans behind it."),
                "disclosure:statistics",
            ),
            Task(
                _("Audit trail"),
                _("Every regulated action, filtered and exported as CSV."),
                "compliance:audit-list",
            ),
            Task(
                _("Inspection requests"),
                _("Ask the platform for information and documents; follow the answers."),
                "compliance:inspection-list",
            ),
            Task(
                _("Marketplace"),
                _("Every loan open for funding, with the disclosure investors see."),
                "lending:loan-list",
            ),
            Task(
                _("API documentation"),
                _("The platform's public API, including the endpoints for regulators."),
                "api-docs",
            ),
        ],
        _(
            "The regulator portal (monthly filings to download, platform statistics and "
            "inspection requests) is not open yet. Until it is, the platform's compliance officer "
            "sends filings on request; they will be listed here when the portal opens."
        ),
    ),
}


def _url(task: Task) -> str | None:
    try:
        return reverse(task.url_name) + task.query
    except NoReverseMatch:
        return None


def staff_work(user) -> list[RoleWork]:
    """The user's staff roles with the pages each lets them use, in the roles' order."""
    work = []
    for role in Role:
        if role not in _WORK or not user.has_role(role):
            continue
        tasks, note = _WORK[role]
        shown = []
        coming = _COMING.get(role)
        if (
            coming is not None
            and _url(coming)
            and (coming.permission is None or user.has_perm(coming.permission))
        ):
            tasks, note = [coming, *tasks], ""
        for task in tasks:
            url = _url(task)
            if url is None or (task.permission and not user.has_perm(task.permission)):
                continue
            shown.append({"label": task.label, "description": task.description, "url": url})
        work.append(RoleWork(role=role.value, label=role.label, tasks=shown, note=note))
    return work
