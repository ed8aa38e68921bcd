"""Expected status of every compliance route for every role (see tests/test_permission_matrix.py).

Complaints are a customer's: every signed-in customer files and follows their own (another's
id is 404); staff answer them in the admin and are refused the customer pages with a code.
An attachment is served to its complaint's author and to compliance staff only.
"""

from tests.permission_roles import STAFF_REFUSED

MISSING = 999999
SIGN_IN = 302


def _customer(status: int, anonymous: int = 401) -> dict:
    return {"anonymous": anonymous, **STAFF_REFUSED, "default": status}


EXPECTED = {
    # Everyone signed in, staff included, may take a copy of their own data.
    "api:me-data": {"GET": {"anonymous": 401, "default": 200}},
    # Erasure without the typed confirmation changes nothing and returns to the page.
    "compliance:personal-data": {
        "GET": {"anonymous": SIGN_IN, "default": 200},
        "POST": {"anonymous": SIGN_IN, "default": 302},
    },
    "compliance:personal-data-download": {
        "GET": {"anonymous": SIGN_IN, "default": 200},
        "POST": {"anonymous": SIGN_IN, "default": 405},
    },
    "api:complaint-list": {"GET": _customer(200), "POST": _customer(400)},
    "api:complaint-detail": {"kwargs": {"pk": MISSING}, "GET": _customer(404)},
    "api:complaint-message-create": {"kwargs": {"pk": MISSING}, "POST": _customer(400)},
    "api:complaint-close": {"kwargs": {"pk": MISSING}, "POST": _customer(404)},
    "api:complaint-reopen": {"kwargs": {"pk": MISSING}, "POST": _customer(400)},
    # Pages.
    "compliance:complaint-list": {"GET": _customer(200, SIGN_IN), "POST": _customer(405, SIGN_IN)},
    "compliance:complaint-create": {
        "GET": _customer(200, SIGN_IN),
        "POST": _customer(400, SIGN_IN),
    },
    "compliance:complaint-detail": {
        "kwargs": {"pk": MISSING},
        "GET": _customer(404, SIGN_IN),
        "POST": _customer(404, SIGN_IN),
    },
    "compliance:complaint-close": {
        "kwargs": {"pk": MISSING},
        "GET": _customer(405, SIGN_IN),
        "POST": _customer(404, SIGN_IN),
    },
    "compliance:complaint-attachment": {
        "kwargs": {"pk": MISSING, "attachment_id": MISSING},
        "GET": {"anonymous": SIGN_IN, "default": 404},
        "POST": {"anonymous": SIGN_IN, "default": 405},
    },
}

# The regulator portal: regulators and compliance staff read it; everyone else signed in gets
# 403 `role_required`. Only regulators write, and only inspection requests (raise, follow up,
# close); compliance answers them in the admin.
_NOT_PORTAL = (403, "role_required")
_PORTAL_PAGE_GET = {
    "anonymous": SIGN_IN,
    "default": _NOT_PORTAL,
    "regulator": 200,
    "compliance": 200,
}
_PORTAL_PAGE_NO_POST = {
    "anonymous": SIGN_IN,
    "default": _NOT_PORTAL,
    "regulator": 405,
    "compliance": 405,
}
_PORTAL_API_GET = {"anonymous": 401, "default": _NOT_PORTAL, "regulator": 200, "compliance": 200}


def _regulator_only(status: int, anonymous: int = SIGN_IN) -> dict:
    return {"anonymous": anonymous, "default": _NOT_PORTAL, "regulator": status}


EXPECTED |= {
    "compliance:portal": {"GET": _PORTAL_PAGE_GET, "POST": _PORTAL_PAGE_NO_POST},
    "compliance:audit-list": {"GET": _PORTAL_PAGE_GET, "POST": _PORTAL_PAGE_NO_POST},
    "compliance:audit-export": {"GET": _PORTAL_PAGE_GET, "POST": _PORTAL_PAGE_NO_POST},
    "compliance:inspection-list": {"GET": _PORTAL_PAGE_GET, "POST": _PORTAL_PAGE_NO_POST},
    # An empty form is a 400 with its errors; compliance answers in the admin, not here.
    "compliance:inspection-create": {"GET": _regulator_only(200), "POST": _regulator_only(400)},
    "compliance:inspection-detail": {
        "kwargs": {"pk": MISSING},
        "GET": {**_PORTAL_PAGE_GET, "regulator": 404, "compliance": 404},
        "POST": _PORTAL_PAGE_NO_POST,
    },
    "compliance:inspection-close": {
        "kwargs": {"pk": MISSING},
        "GET": _regulator_only(405),
        "POST": _regulator_only(404),
    },
    "compliance:inspection-reopen": {
        "kwargs": {"pk": MISSING},
        "GET": _regulator_only(405),
        "POST": _regulator_only(404),
    },
    "compliance:inspection-document": {
        "kwargs": {"pk": MISSING, "document_id": MISSING},
        "GET": {**_PORTAL_PAGE_GET, "regulator": 404, "compliance": 404},
        "POST": _PORTAL_PAGE_NO_POST,
    },
    "api:regulator-audit-events": {"GET": _PORTAL_API_GET},
    "api:regulator-inspection-list": {
        "GET": _PORTAL_API_GET,
        "POST": {
            "anonymous": 401,
            "default": _NOT_PORTAL,
            "regulator": 400,
            "compliance": _NOT_PORTAL,
        },
    },
    "api:regulator-inspection-detail": {
        "kwargs": {"pk": MISSING},
        "GET": {**_PORTAL_API_GET, "regulator": 404, "compliance": 404},
    },
}


# Regulatory filings: regulators and compliance officers only; everyone else signed in gets
# 403 `role_required` (pages and API), anonymous visitors sign in (pages) or 401 (API). A
# download link that names nothing (here a forged token) is 404 for a reader.
def _filings(reader: int, *, anonymous: int, others=(403, "role_required")) -> dict:
    return {"anonymous": anonymous, "regulator": reader, "compliance": reader, "default": others}


EXPECTED.update(
    {
        "compliance:filing-list": {
            "GET": _filings(200, anonymous=SIGN_IN),
            "POST": _filings(405, anonymous=SIGN_IN),
        },
        "compliance:filing-download": {
            "kwargs": {"pk": MISSING},
            "GET": _filings(404, anonymous=SIGN_IN),
            "POST": _filings(405, anonymous=SIGN_IN),
        },
        "compliance:filing-file": {
            "kwargs": {"token": "forged"},
            "GET": _filings(404, anonymous=SIGN_IN),
            "POST": _filings(405, anonymous=SIGN_IN),
        },
        "api:filing-list": {"GET": _filings(200, anonymous=401, others=403)},
        "api:filing-download": {
            "kwargs": {"pk": MISSING},
            "GET": _filings(404, anonymous=401, others=403),
        },
        "api:filing-file": {
            "kwargs": {"token": "forged"},
            "GET": _filings((404, "not_found"), anonymous=401, others=403),
        },
    }
)
