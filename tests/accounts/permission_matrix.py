"""Expected status of every accounts route for every role (see tests/test_permission_matrix.py).

API POSTs are sent without a body: a permitted caller gets the 400 of validation, so the
entry proves the permission check and the "nothing changes on bad input" rule together.
Pages get an empty form. Onboarding is a customer path: staff are refused with a code.
"""

from tests.permission_roles import STAFF_REFUSED

SIGN_IN = 302  # a page sends an anonymous visitor to sign in

EXPECTED = {
    "api:me": {"GET": {"anonymous": 401, "default": 200}},
    "api:me-identity": {"POST": {"anonymous": 401, **STAFF_REFUSED, "default": 400}},
    "api:me-roles": {"POST": {"anonymous": 401, **STAFF_REFUSED, "default": 400}},
    "api:me-investor-profile": {
        "POST": {
            "anonymous": 401,
            "investor": 400,
            **STAFF_REFUSED,
            "default": (403, "investor_role_required"),
        }
    },
    "api:me-enterprise": {
        "POST": {
            "anonymous": 401,
            "borrower": 400,
            **STAFF_REFUSED,
            "default": (403, "borrower_role_required"),
        }
    },
    "api:me-borrower-profile": {
        "POST": {
            "anonymous": 401,
            "borrower": 400,
            **STAFF_REFUSED,
            "default": (403, "borrower_role_required"),
        }
    },
    # Pages.
    # The emailed unlock link: a link that is not one of ours is refused to anyone alike.
    "accounts:login-unlock": {
        "kwargs": {"token": "not-a-real-token"},
        "GET": {"default": 400},
        "POST": {"default": 400},
    },
    "accounts:home": {"GET": {"default": 200}, "POST": {"default": 200}},
    "accounts:dashboard": {
        "GET": {"anonymous": SIGN_IN, "default": 200},
        "POST": {"anonymous": SIGN_IN, "default": 200},
    },
    # The language switch: everyone, signed in or not; it redirects back to the page.
    "accounts:set-language": {"GET": {"default": 405}, "POST": {"default": 302}},
    "accounts:settings": {
        "GET": {"anonymous": SIGN_IN, "default": 200},
        "POST": {"anonymous": SIGN_IN, "default": 200},
    },
    # The wizard's entry sends each customer to their next step.
    "accounts:onboarding": {
        "GET": {"anonymous": SIGN_IN, **STAFF_REFUSED, "default": 302},
        "POST": {"anonymous": SIGN_IN, **STAFF_REFUSED, "default": 302},
    },
    "accounts:onboarding-identity": {
        "GET": {"anonymous": SIGN_IN, **STAFF_REFUSED, "default": 200},
        "POST": {"anonymous": SIGN_IN, **STAFF_REFUSED, "default": 200},
    },
    # Unverified customers are sent to the identity step first.
    "accounts:onboarding-roles": {
        "GET": {"anonymous": SIGN_IN, **STAFF_REFUSED, "default": 302},
        "POST": {"anonymous": SIGN_IN, **STAFF_REFUSED, "default": 302},
    },
    "accounts:onboarding-investor": {
        "GET": {"anonymous": SIGN_IN, "investor": 200, **STAFF_REFUSED, "default": 302},
        "POST": {"anonymous": SIGN_IN, "investor": 200, **STAFF_REFUSED, "default": 302},
    },
    "accounts:onboarding-investor-preview": {
        "GET": {"anonymous": SIGN_IN, **STAFF_REFUSED, "default": 405},
        "POST": {"anonymous": SIGN_IN, **STAFF_REFUSED, "default": 200},
    },
    "accounts:onboarding-borrower": {
        "GET": {"anonymous": SIGN_IN, "borrower": 200, **STAFF_REFUSED, "default": 302},
        "POST": {"anonymous": SIGN_IN, "borrower": 200, **STAFF_REFUSED, "default": 302},
    },
    "accounts:onboarding-enterprise": {
        "GET": {"anonymous": SIGN_IN, **STAFF_REFUSED, "default": 302},
        "POST": {"anonymous": SIGN_IN, **STAFF_REFUSED, "default": 302},
    },
    "accounts:onboarding-enterprise-check-code": {
        "GET": {"anonymous": SIGN_IN, **STAFF_REFUSED, "default": 405},
        "POST": {"anonymous": SIGN_IN, "borrower": 200, **STAFF_REFUSED, "default": 403},
    },
}
