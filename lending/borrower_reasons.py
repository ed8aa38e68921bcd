"""What a borrower is told about a rejected application.

The review's own reasons (`Application.decision_reasons`: fraud signals, blocklist hits,
profile inconsistencies, velocity, a reviewer's note) are for staff. Telling an applicant
which fraud rule fired, or that they are on the blocklist, teaches them what to change
before the next attempt, and a reviewer's note is written for colleagues. The borrower
gets a few fixed reasons instead: the ones they can act on (their credit, their borrowing
limit, a changed registration), or a plain "not approved".
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class BorrowerReason:
    code: str
    message: str


CREDIT_ASSESSMENT = BorrowerReason(
    "credit_assessment", _("Your credit assessment does not meet our lending criteria.")
)
BORROWING_LIMIT = BorrowerReason(
    "borrowing_limit",
    _("The amount is above what you may still borrow, on this platform or across platforms."),
)
BORROWER_CHANGED = BorrowerReason(
    "borrower_changed",
    _("Your borrower registration changed after you applied. You may apply again."),
)
COST_CEILING = BorrowerReason(
    "cost_ceiling",
    _(
        "At your grade, the cost of this loan (interest and fees) would be above the legal "
        "ceiling on the cost of credit. A longer term may bring it within the ceiling."
    ),
)
NOT_APPROVED = BorrowerReason("not_approved", _("We could not approve this application."))


def _shown_for(reason: str) -> BorrowerReason | None:
    if reason in ("grade_hr_declined", "grade_not_priced"):
        return CREDIT_ASSESSMENT
    if reason.startswith("borrowing_cap_exceeded"):
        return BORROWING_LIMIT
    if reason == "borrower_kind_changed":
        return BORROWER_CHANGED
    if reason == "apr_above_cost_ceiling":
        return COST_CEILING
    return None


def borrower_reasons(*, rejected: bool, decision_reasons: list[str]) -> list[BorrowerReason]:
    """The reasons shown to the borrower: none unless rejected; otherwise those they can
    act on, in the review's order, or `not_approved` when there is none."""
    if not rejected:
        return []
    shown = []
    for reason in decision_reasons:
        mapped = _shown_for(reason)
        if mapped is not None and mapped not in shown:
            shown.append(mapped)
    return shown or [NOT_APPROVED]
