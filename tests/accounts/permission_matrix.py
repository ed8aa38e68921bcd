"""Expected status of every accounts API route for every role (see tests/test_permission_matrix.py)."""

# roles: anonymous, customer (verified, no role), investor, borrower, reviewer, approver,
#        collections, compliance, regulator
# POSTs are sent without a body: a permitted caller gets the 400 of validation, so the
# entry proves the permission check and the "nothing changes on bad input" rule together.
EXPECTED = {
    # url name: (method, kwargs for reverse, {role: expected status})
    "api:me": ("GET", {}, {"anonymous": 401, "default": 200}),
    "api:me-identity": ("POST", {}, {"anonymous": 401, "default": 400}),
    "api:me-roles": ("POST", {}, {"anonymous": 401, "default": 400}),
    "api:me-investor-profile": (
        "POST",
        {},
        {"anonymous": 401, "investor": 400, "default": 403},
    ),
    "api:me-enterprise": (
        "POST",
        {},
        {"anonymous": 401, "borrower": 400, "default": 403},
    ),
    "api:me-borrower-profile": (
        "POST",
        {},
        {"anonymous": 401, "borrower": 400, "default": 403},
    ),
}
