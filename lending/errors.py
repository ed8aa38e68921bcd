"""Lending's domain errors: each has a stable code the API returns."""

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.errors import DomainError


class LendingError(DomainError):
    code = "lending_error"


class IdentityNotVerified(LendingError):
    code = "identity_not_verified"
    status_code = status.HTTP_403_FORBIDDEN
    message = _("A verified identity is required.")


class BorrowerProfileMissing(LendingError):
    code = "borrower_profile_required"
    status_code = status.HTTP_403_FORBIDDEN
    message = _("Complete your borrower profile first.")


class InvestorProfileMissing(LendingError):
    code = "investor_profile_required"
    status_code = status.HTTP_403_FORBIDDEN
    message = _("Complete the investor suitability questionnaire first.")


class ProductUnavailable(LendingError):
    code = "product_unavailable"
    message = _("This product is not offered.")


class AmountOutOfRange(LendingError):
    code = "amount_out_of_range"
    message = _("The amount is outside the product's range.")


class TermNotOffered(LendingError):
    code = "term_not_offered"
    message = _("The product does not offer this term.")


class MethodNotOffered(LendingError):
    code = "method_not_offered"
    message = _("The product does not offer this repayment method.")


class ProhibitedPurpose(LendingError):
    code = "prohibited_purpose"
    message = _("Loans for securities, futures or other high-risk investment are not allowed.")


class ApplicationAlreadyOpen(LendingError):
    code = "application_already_open"
    status_code = status.HTTP_409_CONFLICT
    message = _("You already have an open application.")


class CapExceeded(LendingError):
    code = "borrowing_cap_exceeded"
    message = _("The amount exceeds your remaining borrowing headroom.")


class ApplicationNotReviewable(LendingError):
    code = "application_not_reviewable"
    status_code = status.HTTP_409_CONFLICT
    message = _("This application is not waiting for review.")


class BorrowerKindLocked(LendingError):
    code = "borrower_kind_locked"
    status_code = status.HTTP_409_CONFLICT
    message = _(
        "You borrow as an individual and as a company in turn, never both at once: repay what "
        "you owe as the other kind first."
    )


class BorrowerKindChanged(LendingError):
    code = "borrower_kind_changed"
    status_code = status.HTTP_409_CONFLICT
    message = _(
        "The borrower registered or removed a company after applying: the application cannot "
        "be approved as it was made."
    )


class ReasonRequired(LendingError):
    code = "reason_required"
    message = _("A decision needs a reason.")


class LoanNotOpen(LendingError):
    code = "loan_not_open"
    status_code = status.HTTP_409_CONFLICT
    message = _("The loan is not open for investment.")


class OwnLoan(LendingError):
    code = "own_loan"
    status_code = status.HTTP_403_FORBIDDEN
    message = _("You cannot invest in your own loan.")


class GradeNotAllowed(LendingError):
    code = "grade_above_risk_level"
    status_code = status.HTTP_403_FORBIDDEN
    message = _("This loan's grade is above your risk level.")


class BelowMinimum(LendingError):
    code = "below_minimum"
    message = _("The amount is below the minimum investment.")


class NotAStepMultiple(LendingError):
    code = "not_step_multiple"
    message = _("The amount must be a multiple of the investment step.")


class PerLoanLimitExceeded(LendingError):
    code = "per_loan_limit_exceeded"
    message = _("This exceeds your limit for one loan.")


class TotalLimitExceeded(LendingError):
    code = "total_limit_exceeded"
    message = _("This exceeds your total investment limit.")


class ExceedsRemaining(LendingError):
    code = "exceeds_remaining"
    status_code = status.HTTP_409_CONFLICT
    message = _("The amount is more than the loan has left.")


class InvestmentNotCancellable(LendingError):
    code = "investment_not_cancellable"
    status_code = status.HTTP_409_CONFLICT
    message = _("The investment can no longer be cancelled.")


class CoolingOffOver(LendingError):
    code = "cooling_off_over"
    status_code = status.HTTP_409_CONFLICT
    message = _("The cooling-off window for this investment has ended.")


class LoanNotFunded(LendingError):
    code = "loan_not_funded"
    status_code = status.HTTP_409_CONFLICT
    message = _("Only a funded loan can be disbursed.")


class DisbursementAlreadyStarted(LendingError):
    code = "disbursement_already_started"
    status_code = status.HTTP_409_CONFLICT
    message = _("Disbursement has already started.")


class NoPendingDisbursement(LendingError):
    code = "no_pending_disbursement"
    status_code = status.HTTP_409_CONFLICT
    message = _("No disbursement is waiting for approval.")


class SameApprover(LendingError):
    code = "same_approver"
    status_code = status.HTTP_403_FORBIDDEN
    message = _("The second approval must come from another approver.")


class TextRefused(LendingError):
    code = "text_control_characters"
    message = _("This text cannot be shown to others.")


class RoleRequired(LendingError):
    code = "role_required"
    status_code = status.HTTP_403_FORBIDDEN
    message = _("Your role does not allow this action.")


class AutoInvestRuleInvalid(LendingError):
    code = "auto_invest_rule_invalid"
    message = _("The rule's ranges are not consistent.")


class AutoInvestRuleGone(LendingError):
    code = "auto_invest_rule_gone"
    status_code = status.HTTP_409_CONFLICT
    message = _("The auto-invest rule was paused or deleted.")


class LoanNotRepaying(LendingError):
    code = "loan_not_repaying"
    status_code = status.HTTP_409_CONFLICT
    message = _("This loan takes no repayments (it is not being repaid).")


class NothingDue(LendingError):
    code = "nothing_due"
    status_code = status.HTTP_409_CONFLICT
    message = _("Nothing is due on this loan today.")


class AmountAbovePayoff(LendingError):
    code = "amount_above_payoff"
    message = _("The amount is more than it takes to pay the loan off.")


class RepaymentKindInvalid(LendingError):
    code = "repayment_kind_invalid"
    message = _("Give either an amount or a kind of 'due' or 'all'.")


class CaseClosed(LendingError):
    code = "collection_case_closed"
    status_code = status.HTTP_409_CONFLICT
    message = _("This collection case is closed.")


class AssigneeNotCollector(LendingError):
    code = "assignee_not_collector"
    message = _("Cases are assigned to staff holding the collections role.")


class ContactChannelInvalid(LendingError):
    code = "contact_channel_invalid"
    message = _("Choose phone, text message, email or letter.")


class PromiseAmountInvalid(LendingError):
    code = "promise_amount_invalid"
    message = _("A promise is a positive amount in whole cents, at most what pays the loan off.")


class PromiseDateInvalid(LendingError):
    code = "promise_date_invalid"
    message = _("A promise falls due from today and within the next 90 days.")


class PromisePending(LendingError):
    code = "promise_pending"
    status_code = status.HTTP_409_CONFLICT
    message = _("The case already has a promise waiting for its date.")


class TextContainsPii(LendingError):
    code = "text_contains_pii"
    message = _(
        "Notes investors read carry no personal data: no email addresses and no long numbers "
        "(phone, identity or card numbers)."
    )


class LoanNotServiced(LendingError):
    code = "loan_not_serviced"
    status_code = status.HTTP_409_CONFLICT
    message = _("This loan has not been paid out, so it has no servicing updates.")


class HardshipKindInvalid(LendingError):
    code = "hardship_kind_invalid"
    message = _("Ask for a payment holiday or a longer term.")


class HardshipMonthsInvalid(LendingError):
    code = "hardship_months_invalid"
    message = _("Ask for 1 to 12 months.")


class HardshipRequestOpen(LendingError):
    code = "hardship_request_open"
    status_code = status.HTTP_409_CONFLICT
    message = _("This loan already has a hardship request waiting for a decision.")


class HardshipNothingToReschedule(LendingError):
    code = "hardship_nothing_to_reschedule"
    status_code = status.HTTP_409_CONFLICT
    message = _("No payment on this loan is still to come, so there is nothing to reschedule.")


class HardshipInstallmentPartlyPaid(LendingError):
    code = "hardship_installment_partly_paid"
    status_code = status.HTTP_409_CONFLICT
    message = _("A payment still to come is partly paid already; it cannot be rescheduled.")


class HardshipAboveCostCeiling(LendingError):
    code = "hardship_above_cost_ceiling"
    status_code = status.HTTP_409_CONFLICT
    message = _("The new schedule would take the loan's cost above the legal ceiling.")


class HardshipNotPending(LendingError):
    code = "hardship_not_pending"
    status_code = status.HTTP_409_CONFLICT
    message = _("This hardship request has already been decided.")


class HardshipScheduleChanged(LendingError):
    code = "hardship_schedule_changed"
    status_code = status.HTTP_409_CONFLICT
    message = _(
        "The loan has changed since the borrower asked (a payment made, charged or fallen "
        "due): the borrower needs to ask again for a schedule that matches."
    )


class DecisionInvalid(LendingError):
    code = "decision_invalid"
    message = _("The decision is approve or refuse.")


class OfferNotOpen(LendingError):
    code = "offer_not_open"
    status_code = status.HTTP_409_CONFLICT
    message = _("This application has no offer waiting for your answer.")


class OfferExpired(LendingError):
    code = "offer_expired"
    status_code = status.HTTP_409_CONFLICT
    message = _("This offer has expired. You may apply again.")


class AprAboveCeiling(LendingError):
    code = "apr_above_cost_ceiling"
    status_code = status.HTTP_409_CONFLICT
    message = _("The offer's APR would be above the legal ceiling on the cost of credit.")
