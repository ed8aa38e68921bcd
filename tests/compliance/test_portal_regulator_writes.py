"""Regulators can never write anything but their inspection requests and their own account.

Every route of the URLconf (tests/test_permission_matrix.py walks the same list), every
unsafe method it takes (POST, PUT, PATCH, DELETE), as a regulator with TOTP: the answer is a
refusal and no row of the platform is inserted, updated or deleted, except on the routes
named below. A new route that lets a regulator write fails here until it is listed, with
its reason.
"""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from compliance.services.inspections import inspection_raise
from lending.business_date import business_date
from tests.test_permission_matrix import METHODS, _call, _expected_entries, _routes, _url

pytestmark = pytest.mark.django_db

UNSAFE = tuple(m for m in METHODS if m != "GET")

# The writes a regulator may make, each with why.
REGULATOR_WRITES = {
    "compliance:inspection-create": "raise an inspection request (page)",
    "compliance:inspection-close": "close an inspection request",
    "compliance:inspection-reopen": "follow up on or reopen an inspection request",
    "api:regulator-inspection-list": "raise an inspection request (API)",
    "compliance:personal-data": "their own account: a copy of their data, erasure",
    "api:me-notification-read": "their own notifications: mark one read",
    "api:me-notification-read-all": "their own notifications: mark all read",
    "lending:notification-read-all": "their own notifications: mark all read (page)",
    "accounts:login-unlock": "sign-in: the emailed unlock link, for anyone",
    "accounts:set-language": "their own account: the language they read the platform in",
}
# Pages that answer every method as they answer GET: they render and write nothing (the
# no-write check below holds them to it).
RENDER_ONLY = {"accounts:home", "accounts:dashboard", "accounts:settings"}
# allauth's routes (sign-in, MFA, sessions: a regulator's own account) are outside the URL
# walk (tests/test_permission_matrix.py EXCLUDED), as is the admin, tested below.

REFUSED = {401, 403, 404, 405}
_WRITE = re.compile(r'^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
# Writes that are not the platform's data: the session itself (a signed-in request may
# refresh it) and the rate limiter's and lockout's own bookkeeping.
_BOOKKEEPING = {"django_session", "axes_accessattempt", "axes_accesslog"}


def _writes(queries) -> list[str]:
    found = []
    for query in queries:
        match = _WRITE.match(query["sql"])
        if match and match.group(2).lower() not in _BOOKKEEPING:
            found.append(query["sql"][:120])
    return found


@pytest.fixture
def regulator_clients(make_user):
    user = make_user("regulator")
    api, page = APIClient(), Client()
    api.force_login(user)
    page.force_login(user)
    return api, page


def test_a_regulator_writes_nothing_outside_inspection_requests_and_their_account(
    regulator_clients,
):
    routes, entries = _routes(), _expected_entries()
    problems, calls = [], 0
    for name, route in sorted(routes.items()):
        if name in REGULATOR_WRITES:
            continue
        url = _url(name, entries[name])
        for method in sorted(route.methods() & set(UNSAFE)):
            with CaptureQueriesContext(connection) as queries:
                response = _call(regulator_clients, url, method)
            calls += 1
            writes = _writes(queries.captured_queries)
            if writes:
                problems.append(f"{method} {url} ({name}) wrote: {writes}")
            refused = response.status_code in REFUSED
            if not refused and name not in RENDER_ONLY:
                problems.append(f"{method} {url} ({name}) answered {response.status_code}")
    assert calls > 50  # the walk reached the whole URLconf
    assert not problems, "\n".join(problems)


def test_every_allowed_write_names_a_route():
    routes = _routes()
    assert not (set(REGULATOR_WRITES) | RENDER_ONLY) - set(routes)


def test_the_portal_refuses_every_unsafe_method_it_does_not_take(regulator_clients):
    """The portal's read pages answer a regulator's POST with 405, the API's with 405 too."""
    api, page = regulator_clients
    for name in ("compliance:portal", "compliance:audit-list", "compliance:audit-export"):
        for method in ("post", "put", "patch", "delete"):
            assert getattr(page, method)(reverse(name)).status_code == 405, (name, method)
    for path in ("/api/v1/regulator/audit-events", "/api/v1/regulator/inspections/1"):
        for method in ("post", "put", "patch", "delete"):
            assert getattr(api, method)(path, {}, format="json").status_code == 405


def test_the_operations_console_lets_no_regulator_in(regulator_clients, make_user):
    """Regulators are not is_staff: every admin page, and every write through it, sends
    them to sign in (as the admin does for anyone it does not admit)."""
    _, page = regulator_clients
    inspection = inspection_raise(
        regulator=make_user("regulator"),
        subject="Board minutes",
        text="Send them.",
        due_on=business_date() + timedelta(days=5),
    )
    for url in (
        reverse("admin:index"),
        reverse("admin:compliance_inspectionrequest_changelist"),
        reverse("admin:compliance_inspectionrequest_change", args=[inspection.pk]),
        reverse("admin:core_auditevent_changelist"),
        reverse("admin:lending_product_add"),
    ):
        with CaptureQueriesContext(connection) as queries:
            response = page.post(url, {"answer": "I answer my own request."})
        assert response.status_code == 302 and "/login/" in response["Location"], url
        assert not _writes(queries.captured_queries), url
    assert not inspection.messages.filter(is_answer=True).exists()


def test_the_write_check_sees_a_regulators_allowed_write(regulator_clients):
    """The detector the walk relies on: a real raise through the page is seen writing."""
    _, page = regulator_clients
    body = {
        "subject": "Board minutes",
        "due_on": (business_date() + timedelta(days=5)).isoformat(),
        "text": "Send the last four.",
    }
    with CaptureQueriesContext(connection) as queries:
        response = page.post(reverse("compliance:inspection-create"), body)
    assert response.status_code == 302
    tables = " ".join(_writes(queries.captured_queries))
    assert "compliance_inspectionrequest" in tables and "compliance_auditevent" in tables
