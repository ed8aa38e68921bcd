"""The roles the permission matrix signs in as (tests/test_permission_matrix.py), and the
answer every staff role gets on a customer path."""

ANONYMOUS = "anonymous"
# A signed-in user without a role, then the two customer roles.
CUSTOMER_ROLES = ("customer", "investor", "borrower")
STAFF_ROLES = ("reviewer", "approver", "collections", "compliance", "regulator", "operations")
ROLES = (ANONYMOUS, *CUSTOMER_ROLES, *STAFF_ROLES)

# DESIGN.md section 7: staff never use a customer path; refused with a code, before any work.
STAFF_REFUSED = dict.fromkeys(STAFF_ROLES, (403, "staff_not_allowed"))
