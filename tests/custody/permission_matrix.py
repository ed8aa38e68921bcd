"""Expected status of every custody route for every role (see tests/test_permission_matrix.py).

Every customer has their own wallet and sees only it; staff hold none (DESIGN.md section 7)
and are refused with a code. POSTs without an Idempotency-Key are refused with 400 before
anything else happens; an empty page form is refused with 400.
"""

from tests.permission_roles import STAFF_REFUSED

SIGN_IN = 302

EXPECTED = {
    "api:wallet-detail": {"GET": {"anonymous": 401, **STAFF_REFUSED, "default": 200}},
    "api:wallet-entries": {"GET": {"anonymous": 401, **STAFF_REFUSED, "default": 200}},
    "api:wallet-deposits": {
        "GET": {"anonymous": 401, **STAFF_REFUSED, "default": 200},
        "POST": {"anonymous": 401, **STAFF_REFUSED, "default": 400},
    },
    "api:wallet-withdrawals": {
        "GET": {"anonymous": 401, **STAFF_REFUSED, "default": 200},
        "POST": {"anonymous": 401, **STAFF_REFUSED, "default": 400},
    },
    # Pages.
    "custody:wallet": {
        "GET": {"anonymous": SIGN_IN, **STAFF_REFUSED, "default": 200},
        "POST": {"anonymous": SIGN_IN, **STAFF_REFUSED, "default": 405},
    },
    "custody:wallet-deposit": {
        "GET": {"anonymous": SIGN_IN, **STAFF_REFUSED, "default": 405},
        "POST": {"anonymous": SIGN_IN, **STAFF_REFUSED, "default": 400},
    },
    "custody:wallet-withdraw": {
        "GET": {"anonymous": SIGN_IN, **STAFF_REFUSED, "default": 302},
        "POST": {"anonymous": SIGN_IN, **STAFF_REFUSED, "default": 400},
    },
    "custody:wallet-history": {
        "GET": {"anonymous": SIGN_IN, **STAFF_REFUSED, "default": 200},
        "POST": {"anonymous": SIGN_IN, **STAFF_REFUSED, "default": 405},
    },
    # Custodian banks only: an unsigned call is refused whoever sends it.
    "custody:callback": {
        "kwargs": {"custodian": "sandbox"},
        "GET": {"default": 405},
        "POST": {"default": 401},
    },
}
