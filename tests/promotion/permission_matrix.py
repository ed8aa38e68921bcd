"""Expected status of every promotion route for every role (see tests/test_permission_matrix.py).

Marketing consent is a customer's own answer: staff are never marketed to and are refused
with a code; the admin's conversion page is for operations and compliance.
"""

from tests.permission_roles import STAFF_REFUSED

SIGN_IN = 302


def _customer(status: int, anonymous: int = 401) -> dict:
    return {"anonymous": anonymous, **STAFF_REFUSED, "default": status}


EXPECTED = {
    "api:me-marketing-consent": {
        "GET": _customer(200),
        # An empty body: `granted` is required.
        "PUT": _customer(400),
    },
    "promotion:marketing-consent": {
        "GET": _customer(200, SIGN_IN),
        # No `granted` field reads as "no": recorded as declined, then back to the page.
        "POST": _customer(302, SIGN_IN),
    },
}
