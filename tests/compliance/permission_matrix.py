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


# Regulatory filings: regulators and compliance officers only; everyone else signed in gets
# 403 `role_required` (pages and API), anonymous visitors sign in (pages) or 401 (API). A
# download link that names nothing (here a forged token) is 404 for a reader.
def _filings(reader: int, *, anonymous: int, others=(403, "role_required")) -> dict:
    return {"anonymous": anonymous, "regulator": reader, "compliance": reader, "default": others}


EXPECTED.update(
    {
        "compliance:filing_list": {
            "GET": _filings(200, anonymous=SIGN_IN),
            "POST": _filings(405, anonymous=SIGN_IN),
        },
        "compliance:filing_download": {
            "kwargs": {"pk": MISSING},
            "GET": _filings(404, anonymous=SIGN_IN),
            "POST": _filings(405, anonymous=SIGN_IN),
        },
        "compliance:filing_file": {
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
