"""Expected status of every platform statistics route for every role (see
tests/test_permission_matrix.py; tests/disclosure/permission_matrix.py merges this in).

The figures are public: anyone reads the page and the API (404 `statistics_not_found` while
nothing is published, as in the matrix's empty database). The drill-down to loans is for
compliance, operations and regulators only: anonymous visitors are sent to sign in, every
other role is refused.
"""

SIGN_IN = 302
PERIOD = {"period": "2026-06"}

EXPECTED = {
    "api:disclosure-statistics-latest": {"GET": {"default": (404, "statistics_not_found")}},
    "api:disclosure-statistics-period": {
        "kwargs": PERIOD,
        "GET": {"default": (404, "statistics_not_found")},
    },
    "disclosure:statistics": {"GET": {"default": 200}, "POST": {"default": 405}},
    "disclosure:statistics-period": {
        "kwargs": PERIOD,
        "GET": {"default": 404},
        "POST": {"default": 405},
    },
    "disclosure:statistics-figure-loans": {
        "kwargs": {**PERIOD, "figure": "overdue_count"},
        "GET": {
            "anonymous": SIGN_IN,
            "compliance": 404,
            "operations": 404,
            "regulator": 404,
            "default": 403,
        },
        "POST": {"default": 405},
    },
}
