"""Expected status of every lending route for every role (read by the permission matrix test).

Customer paths (applying, borrowing, investing, auto-invest) refuse every staff role with
a code; the marketplace is public; notifications belong to every signed-in user; the ops
routes admit their staff role only.
"""

from tests.permission_roles import STAFF_REFUSED

MISSING = 999999
SIGN_IN = 302  # a page sends an anonymous visitor to sign in


def _borrower(status: int, anonymous: int = 401) -> dict:
    return {"anonymous": anonymous, "borrower": status, **STAFF_REFUSED, "default": 403}


def _investor(status: int, anonymous: int = 401) -> dict:
    return {"anonymous": anonymous, "investor": status, **STAFF_REFUSED, "default": 403}


EXPECTED = {
    "api:product-list": {"GET": {"default": 200}},
    "api:application-list": {"GET": _borrower(200), "POST": _borrower(400)},
    "api:application-detail": {"kwargs": {"pk": MISSING}, "GET": _borrower(404)},
    # Answering the offer: the borrower's own application only (another's or none: 404).
    "api:application-accept": {"kwargs": {"pk": MISSING}, "POST": _borrower(404)},
    "api:application-decline": {"kwargs": {"pk": MISSING}, "POST": _borrower(404)},
    "api:loan-list": {"GET": {"default": 200}},
    "api:loan-detail": {"kwargs": {"pk": MISSING}, "GET": {"default": 404}},
    # Money-moving POSTs: without an Idempotency-Key the caller with the role gets 400.
    "api:loan-investment-create": {"kwargs": {"pk": MISSING}, "POST": _investor(400)},
    "api:investment-list": {"GET": _investor(200)},
    "api:investment-cancel": {"kwargs": {"pk": MISSING}, "POST": _investor(400)},
    # The portfolio is the investor's own: another's investment is 404, like a missing one.
    "api:portfolio": {"GET": _investor(200)},
    "api:portfolio-investment": {"kwargs": {"pk": MISSING}, "GET": _investor(404)},
    # Operations or an approver start a disbursement; only an approver checks it.
    "api:ops-loan-disburse": {
        "kwargs": {"pk": MISSING},
        "POST": {"anonymous": 401, "approver": 400, "operations": 400, "default": 403},
    },
    "api:ops-loan-disburse-approve": {
        "kwargs": {"pk": MISSING},
        "POST": {"anonymous": 401, "approver": 400, "default": 403},
    },
    "api:borrowing-list": {"GET": _borrower(200)},
    "api:borrowing-detail": {"kwargs": {"pk": MISSING}, "GET": _borrower(404)},
    "api:borrowing-schedule": {"kwargs": {"pk": MISSING}, "GET": _borrower(404)},
    "api:borrowing-repayment-list": {
        "kwargs": {"pk": MISSING},
        "GET": _borrower(404),
        "POST": _borrower(400),
    },
    # Another borrower's loan (or none) is 404 before the body is read.
    "api:borrowing-hardship-request-list": {
        "kwargs": {"pk": MISSING},
        "GET": _borrower(404),
        "POST": _borrower(404),
    },
    # The standing authorisation moves no money by itself: no Idempotency-Key; another's or
    # a missing loan is 404 for the borrower.
    "api:borrowing-authorisation": {
        "kwargs": {"pk": MISSING},
        "GET": _borrower(404),
        "POST": _borrower(404),
        "DELETE": _borrower(404),
    },
    "api:auto-invest-rule-list": {"GET": _investor(200), "POST": _investor(400)},
    # Only the owner's rules exist for a caller: another's id is 404, like a missing one.
    "api:auto-invest-rule-detail": {
        "kwargs": {"pk": MISSING},
        "PATCH": _investor(404),
        "DELETE": _investor(404),
    },
    "api:ops-review-list": {"GET": {"anonymous": 401, "reviewer": 200, "default": 403}},
    "api:ops-review-decision": {
        "kwargs": {"application_id": MISSING},
        "POST": {"anonymous": 401, "reviewer": 404, "default": 403},
    },
    # Every signed-in user has notifications; only their own are visible (another's id: 404).
    "api:me-notification-list": {"GET": {"anonymous": 401, "default": 200}},
    "api:me-notification-read": {
        "kwargs": {"pk": MISSING},
        "POST": {"anonymous": 401, "default": 404},
    },
    "api:me-notification-read-all": {"POST": {"anonymous": 401, "default": 200}},
    # Pages.
    "lending:application-create": {
        "GET": _borrower(200, SIGN_IN),
        "POST": _borrower(400, SIGN_IN),
    },
    "lending:application-preview": {
        "GET": _borrower(200, SIGN_IN),
        "POST": _borrower(405, SIGN_IN),
    },
    "lending:application-list": {
        "GET": _borrower(200, SIGN_IN),
        "POST": _borrower(405, SIGN_IN),
    },
    "lending:application-offer": {
        "kwargs": {"pk": MISSING},
        "GET": _borrower(404, SIGN_IN),
        "POST": _borrower(405, SIGN_IN),
    },
    # Without the confirmation box the page sends the borrower back to the offer.
    "lending:application-offer-accept": {
        "kwargs": {"pk": MISSING},
        "GET": _borrower(405, SIGN_IN),
        "POST": _borrower(302, SIGN_IN),
    },
    "lending:application-offer-decline": {
        "kwargs": {"pk": MISSING},
        "GET": _borrower(405, SIGN_IN),
        "POST": _borrower(404, SIGN_IN),
    },
    # The loan's borrower and its investors only: everyone else is told it does not exist.
    "lending:loan-agreement": {
        "kwargs": {"pk": MISSING},
        "GET": {"anonymous": SIGN_IN, "default": 404},
        "POST": {"anonymous": SIGN_IN, "default": 405},
    },
    "lending:borrowing-list": {"GET": _borrower(200, SIGN_IN), "POST": _borrower(405, SIGN_IN)},
    "lending:borrowing-detail": {
        "kwargs": {"pk": MISSING},
        "GET": _borrower(404, SIGN_IN),
        "POST": _borrower(405, SIGN_IN),
    },
    "lending:borrowing-repay": {
        "kwargs": {"pk": MISSING},
        "GET": _borrower(404, SIGN_IN),
        "POST": _borrower(404, SIGN_IN),
    },
    "lending:borrowing-authorisation": {
        "kwargs": {"pk": MISSING},
        "GET": _borrower(404, SIGN_IN),
        "POST": _borrower(404, SIGN_IN),
    },
    # An investor's own cash flows and statements; a year without their movements is 404.
    "lending:investment-cash-flows": {
        "kwargs": {"pk": MISSING},
        "GET": _investor(404, SIGN_IN),
        "POST": _investor(405, SIGN_IN),
    },
    "lending:statement-csv": {
        "kwargs": {"year": 2026},
        "GET": _investor(404, SIGN_IN),
        "POST": _investor(405, SIGN_IN),
    },
    "lending:statement-pdf": {
        "kwargs": {"year": 2026},
        "GET": _investor(404, SIGN_IN),
        "POST": _investor(405, SIGN_IN),
    },
    "lending:borrowing-hardship": {
        "kwargs": {"pk": MISSING},
        "GET": _borrower(404, SIGN_IN),
        "POST": _borrower(404, SIGN_IN),
    },
    "lending:loan-list": {"GET": {"default": 200}, "POST": {"default": 405}},
    "lending:loan-detail": {
        "kwargs": {"pk": MISSING},
        "GET": {"default": 404},
        "POST": {"default": 405},
    },
    "lending:loan-invest": {
        "kwargs": {"pk": MISSING},
        "GET": _investor(405, SIGN_IN),
        "POST": _investor(404, SIGN_IN),
    },
    "lending:investment-list": {"GET": _investor(200, SIGN_IN), "POST": _investor(405, SIGN_IN)},
    # GET asks to confirm, the confirmed POST cancels; only the investor's own exist.
    "lending:investment-cancel": {
        "kwargs": {"pk": MISSING},
        "GET": _investor(404, SIGN_IN),
        "POST": _investor(404, SIGN_IN),
    },
    "lending:auto-invest-rule-list": {
        "GET": _investor(200, SIGN_IN),
        "POST": _investor(400, SIGN_IN),
    },
    "lending:auto-invest-rule-edit": {
        "kwargs": {"pk": MISSING},
        "GET": _investor(404, SIGN_IN),
        "POST": _investor(404, SIGN_IN),
    },
    "lending:auto-invest-rule-pause": {
        "kwargs": {"pk": MISSING},
        "GET": _investor(405, SIGN_IN),
        "POST": _investor(404, SIGN_IN),
    },
    "lending:auto-invest-rule-resume": {
        "kwargs": {"pk": MISSING},
        "GET": _investor(405, SIGN_IN),
        "POST": _investor(404, SIGN_IN),
    },
    # GET asks to confirm, POST deletes.
    "lending:auto-invest-rule-delete": {
        "kwargs": {"pk": MISSING},
        "GET": _investor(404, SIGN_IN),
        "POST": _investor(404, SIGN_IN),
    },
    "lending:notification-list": {
        "GET": {"anonymous": SIGN_IN, "default": 200},
        "POST": {"anonymous": SIGN_IN, "default": 405},
    },
    "lending:notification-read-all": {
        "GET": {"anonymous": SIGN_IN, "default": 405},
        "POST": {"anonymous": SIGN_IN, "default": 302},
    },
}
