"""Expected status of every lending API route for every role (read by the permission matrix test).

roles: anonymous, customer (verified, no role), investor, borrower, reviewer, approver,
       collections, compliance, regulator, operations
"""

MISSING = 999999

EXPECTED = {
    "api:product-list": ("GET", {}, {"default": 200}),
    "api:application-list": ("GET", {}, {"anonymous": 401, "borrower": 200, "default": 403}),
    "api:application-detail": (
        "GET",
        {"pk": MISSING},
        {"anonymous": 401, "borrower": 404, "default": 403},
    ),
    "api:loan-list": ("GET", {}, {"default": 200}),
    "api:loan-detail": ("GET", {"pk": MISSING}, {"default": 404}),
    "api:loan-investment-create": (
        "POST",
        {"pk": MISSING},
        {"anonymous": 401, "investor": 400, "default": 403},
    ),
    "api:investment-list": ("GET", {}, {"anonymous": 401, "investor": 200, "default": 403}),
    # Money-moving POSTs: without an Idempotency-Key the caller with the role gets 400.
    "api:investment-cancel": (
        "POST",
        {"pk": MISSING},
        {"anonymous": 401, "investor": 400, "default": 403},
    ),
    # Operations or an approver start a disbursement; only an approver checks it.
    "api:ops-loan-disburse": (
        "POST",
        {"pk": MISSING},
        {"anonymous": 401, "approver": 400, "operations": 400, "default": 403},
    ),
    "api:ops-loan-disburse-approve": (
        "POST",
        {"pk": MISSING},
        {"anonymous": 401, "approver": 400, "default": 403},
    ),
    "api:borrowing-list": ("GET", {}, {"anonymous": 401, "borrower": 200, "default": 403}),
    "api:borrowing-detail": (
        "GET",
        {"pk": MISSING},
        {"anonymous": 401, "borrower": 404, "default": 403},
    ),
    "api:borrowing-schedule": (
        "GET",
        {"pk": MISSING},
        {"anonymous": 401, "borrower": 404, "default": 403},
    ),
    "api:auto-invest-rule-list": ("GET", {}, {"anonymous": 401, "investor": 200, "default": 403}),
    "api:ops-review-list": ("GET", {}, {"anonymous": 401, "reviewer": 200, "default": 403}),
    "api:ops-review-decision": (
        "POST",
        {"application_id": MISSING},
        {"anonymous": 401, "reviewer": 404, "default": 403},
    ),
    # Every signed-in user has notifications; only their own are visible (another's id: 404).
    "api:me-notification-list": ("GET", {}, {"anonymous": 401, "default": 200}),
    "api:me-notification-read": (
        "POST",
        {"pk": MISSING},
        {"anonymous": 401, "default": 404},
    ),
    "api:me-notification-read-all": ("POST", {}, {"anonymous": 401, "default": 200}),
}
