"""Expected status of every custody API route for every role (see tests/test_permission_matrix.py).

Every signed-in user has their own wallet and sees only it; POSTs without an
Idempotency-Key are refused with 400 before anything else happens.
"""

# roles: anonymous, customer (verified, no role), investor, borrower, reviewer, approver,
#        collections, compliance, regulator
EXPECTED = {
    "api:wallet-detail": ("GET", {}, {"anonymous": 401, "default": 200}),
    "api:wallet-entries": ("GET", {}, {"anonymous": 401, "default": 200}),
    "api:wallet-deposits": ("POST", {}, {"anonymous": 401, "default": 400}),
    "api:wallet-withdrawals": ("POST", {}, {"anonymous": 401, "default": 400}),
}
