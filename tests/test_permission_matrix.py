"""Every API route x every role: the status each role gets, generated from the URLconf.

Each app declares its routes in `tests/<app>/permission_matrix.py` as `EXPECTED`; a route
under /api/v1/ without an entry, or an entry without a route, fails the suite.
"""

import importlib
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

ROLES = (
    "anonymous",
    "customer",
    "investor",
    "borrower",
    "reviewer",
    "approver",
    "collections",
    "compliance",
    "regulator",
    "operations",
)
API_NAMESPACE = "api"


def _api_route_names() -> set[str]:
    """Names (`api:...`) of every URL pattern included under the api namespace."""

    def walk(patterns, prefix):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
                yield from walk(entry.url_patterns, inner)
            elif isinstance(entry, URLPattern):
                yield (
                    f"{prefix}{entry.name}" if entry.name else f"{prefix}<unnamed {entry.pattern}>"
                )

    api = [
        r
        for r in get_resolver().url_patterns
        if isinstance(r, URLResolver) and r.namespace == API_NAMESPACE
    ]
    assert api, "no URL resolver with the 'api' namespace"
    return {name for resolver in api for name in walk(resolver.url_patterns, f"{API_NAMESPACE}:")}


def _expected_entries() -> dict:
    entries: dict = {}
    tests_dir = Path(__file__).resolve().parent
    for path in sorted(tests_dir.glob("*/permission_matrix.py")):
        module = importlib.import_module(f"tests.{path.parent.name}.permission_matrix")
        for name, entry in module.EXPECTED.items():
            assert name not in entries, f"{name} declared twice (again in {path})"
            entries[name] = entry
    return entries


def test_every_api_route_has_a_permission_matrix_entry_and_vice_versa():
    routes, entries = _api_route_names(), _expected_entries()
    missing = sorted(routes - set(entries))
    stale = sorted(set(entries) - routes)
    assert not missing, f"API routes without an entry in tests/*/permission_matrix.py: {missing}"
    assert not stale, f"permission_matrix entries naming no route: {stale}"


def test_every_entry_covers_every_role():
    for name, (method, _kwargs, statuses) in _expected_entries().items():
        unknown = set(statuses) - set(ROLES) - {"default"}
        assert not unknown, f"{name}: unknown roles {unknown}"
        uncovered = [r for r in ROLES if r not in statuses and "default" not in statuses]
        assert not uncovered, f"{name}: no expected status for {uncovered}"
        assert method in {"GET", "POST", "PUT", "PATCH", "DELETE"}, name


@pytest.fixture
def clients_by_role(make_user):
    """One signed-in API client per role (staff with TOTP), made once for the whole run."""
    from rest_framework.test import APIClient

    clients = {"anonymous": APIClient()}
    for role in ROLES[1:]:
        user = make_user() if role == "customer" else make_user(role)
        client = APIClient()
        client.force_login(user)
        clients[role] = client
    return clients


@pytest.mark.django_db
def test_each_role_gets_the_expected_status_on_each_api_route(clients_by_role):
    mismatches = []
    calls = 0
    # Entries naming no route are reported by the coverage test above.
    entries = {n: e for n, e in _expected_entries().items() if n in _api_route_names()}
    for name, (method, kwargs, statuses) in sorted(entries.items()):
        url = reverse(name, kwargs=kwargs)
        for role in ROLES:
            expected = statuses.get(role, statuses.get("default"))
            client = clients_by_role[role]
            response = (
                getattr(client, method.lower())(url, {}, format="json")
                if method != "GET"
                else client.get(url)
            )
            calls += 1
            if response.status_code != expected:
                body = response.content[:200].decode(errors="replace")
                mismatches.append(
                    f"{method} {url} ({name}) as {role}: {response.status_code}, expected {expected}: {body}"
                )
    assert calls == len(entries) * len(ROLES) > 0
    assert not mismatches, "\n".join(mismatches)
