"""Expected status of every accounts API route for every role (see tests/test_permission_matrix.py)."""

# roles: anonymous, customer (verified, no role), investor, borrower, reviewer, approver,
#        collections, compliance, regulator
EXPECTED = {
    # url name: (method, kwargs for reverse, {role: expected status})
    "api:me": ("GET", {}, {"anonymous": 401, "default": 200}),
}
