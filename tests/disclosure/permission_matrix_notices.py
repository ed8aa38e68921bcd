"""Expected status of the event-notice, institution and holder-disclosure routes for every
role (merged into tests/disclosure/permission_matrix.py).

Notices and the institution page are public; a loan's holder-only disclosure is for an
investor holding a ticket in it (anyone else with the investor role: 404; staff are refused
the customer path with a code)."""

from tests.permission_roles import STAFF_REFUSED

MISSING = 999999

EXPECTED = {
    "api:disclosure-notice-list": {"GET": {"default": 200}},
    "api:disclosure-notice-detail": {"kwargs": {"pk": MISSING}, "GET": {"default": 404}},
    "api:loan-holder-disclosure": {
        "kwargs": {"pk": MISSING},
        "GET": {"anonymous": 401, "investor": 404, **STAFF_REFUSED, "default": 403},
    },
    "disclosure:notice-list": {"GET": {"default": 200}, "POST": {"default": 405}},
    "disclosure:notice-detail": {
        "kwargs": {"pk": MISSING},
        "GET": {"default": 404},
        "POST": {"default": 405},
    },
    "disclosure:institution": {"GET": {"default": 200}, "POST": {"default": 405}},
    "disclosure:institution-document": {
        "kwargs": {"pk": MISSING},
        "GET": {"default": 404},
        "POST": {"default": 405},
    },
}
