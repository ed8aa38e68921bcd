"""Lending's domain errors: each has a stable code the API returns."""

from rest_framework import status

from core.errors import DomainError


class LendingError(DomainError):
    code = "lending_error"


def _error(name: str, code: str, message: str, http: int = status.HTTP_400_BAD_REQUEST):
    return type(name, (LendingError,), {"code": code, "message": message, "status_code": http})


IdentityNotVerified = _error(
    "IdentityNotVerified", "identity_not_verified", "A verified identity is required.", 403
)
BorrowerProfileMissing = _error(
    "BorrowerProfileMissing",
    "borrower_profile_required",
    "Complete your borrower profile first.",
    403,
)
InvestorProfileMissing = _error(
    "InvestorProfileMissing",
    "investor_profile_required",
    "Complete the investor suitability questionnaire first.",
    403,
)
ProductUnavailable = _error(
    "ProductUnavailable", "product_unavailable", "This product is not offered."
)
AmountOutOfRange = _error(
    "AmountOutOfRange", "amount_out_of_range", "The amount is outside the product's range."
)
TermNotOffered = _error(
    "TermNotOffered", "term_not_offered", "The product does not offer this term."
)
MethodNotOffered = _error(
    "MethodNotOffered", "method_not_offered", "The product does not offer this repayment method."
)
ProhibitedPurpose = _error(
    "ProhibitedPurpose",
    "prohibited_purpose",
    "Loans for securities, futures or other high-risk investment are not allowed.",
)
ApplicationAlreadyOpen = _error(
    "ApplicationAlreadyOpen",
    "application_already_open",
    "You already have an open application.",
    409,
)
CapExceeded = _error(
    "CapExceeded", "borrowing_cap_exceeded", "The amount exceeds your remaining borrowing headroom."
)
ApplicationNotReviewable = _error(
    "ApplicationNotReviewable",
    "application_not_reviewable",
    "This application is not waiting for review.",
    409,
)
BorrowerKindLocked = _error(
    "BorrowerKindLocked",
    "borrower_kind_locked",
    "You borrow as an individual and as a company in turn, never both at once: repay what "
    "you owe as the other kind first.",
    409,
)
BorrowerKindChanged = _error(
    "BorrowerKindChanged",
    "borrower_kind_changed",
    "The borrower registered or removed a company after applying: the application cannot be "
    "approved as it was made.",
    409,
)
ReasonRequired = _error("ReasonRequired", "reason_required", "A decision needs a reason.")
LoanNotOpen = _error("LoanNotOpen", "loan_not_open", "The loan is not open for investment.", 409)
OwnLoan = _error("OwnLoan", "own_loan", "You cannot invest in your own loan.", 403)
GradeNotAllowed = _error(
    "GradeNotAllowed", "grade_above_risk_level", "This loan's grade is above your risk level.", 403
)
BelowMinimum = _error(
    "BelowMinimum", "below_minimum", "The amount is below the minimum investment."
)
NotAStepMultiple = _error(
    "NotAStepMultiple", "not_step_multiple", "The amount must be a multiple of the investment step."
)
PerLoanLimitExceeded = _error(
    "PerLoanLimitExceeded", "per_loan_limit_exceeded", "This exceeds your limit for one loan."
)
TotalLimitExceeded = _error(
    "TotalLimitExceeded", "total_limit_exceeded", "This exceeds your total investment limit."
)
ExceedsRemaining = _error(
    "ExceedsRemaining", "exceeds_remaining", "The amount is more than the loan has left.", 409
)
InvestmentNotCancellable = _error(
    "InvestmentNotCancellable",
    "investment_not_cancellable",
    "The investment can no longer be cancelled.",
    409,
)
CoolingOffOver = _error(
    "CoolingOffOver",
    "cooling_off_over",
    "The cooling-off window for this investment has ended.",
    409,
)
LoanNotFunded = _error(
    "LoanNotFunded", "loan_not_funded", "Only a funded loan can be disbursed.", 409
)
DisbursementAlreadyStarted = _error(
    "DisbursementAlreadyStarted",
    "disbursement_already_started",
    "Disbursement has already started.",
    409,
)
NoPendingDisbursement = _error(
    "NoPendingDisbursement",
    "no_pending_disbursement",
    "No disbursement is waiting for approval.",
    409,
)
SameApprover = _error(
    "SameApprover", "same_approver", "The second approval must come from another approver.", 403
)
# Free text others read (core.text): `code` is text_control_characters or text_too_long,
# `field` in the details names the field.
TextRefused = _error(
    "TextRefused", "text_control_characters", "This text cannot be shown to others."
)
RoleRequired = _error("RoleRequired", "role_required", "Your role does not allow this action.", 403)
