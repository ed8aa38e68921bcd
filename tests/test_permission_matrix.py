"""Every route x every method x every role: the status each role gets, generated from the URLconf.

Each area declares its routes in `tests/<area>/permission_matrix.py` as `EXPECTED`, keyed by
URL name:

    "api:wallet-deposits": {"GET": {role: status, ...}, "POST": {...}},
    "lending:loan-invest": {"kwargs": {"pk": MISSING}, "GET": {...}, "POST": {...}},

`kwargs` (for reverse) defaults to none; `path` replaces reverse for a pattern it cannot
build. A status is an int, or (int, code) when the answer must also carry that error code
(the JSON body's `code`, or a page's `data-code`). `default` stands for every role not named.

Every route of the project's own apps and wiring must have an entry: the API's every
method its view class handles, a page's GET and POST (405 where the page takes only one).
A route without an entry, a method without one, or an entry naming no route fails the suite,
so a new route cannot ship without deciding who may use it. The routes of other packages are
left to their own tests (see EXCLUDED).
"""

import importlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from core.errors import JSON_PATH_PREFIXES
from tests.permission_roles import ANONYMOUS, ROLES

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
PAGE_METHODS = ("GET", "POST")

# Route families other packages own, each with the reason it is not in the matrix.
EXCLUDED = {
    # Django's admin lets in is_staff accounts only, then checks each model permission; the
    # roles' permissions are tested in tests/*/test_admin.py.
    "admin:": "django.contrib.admin",
    # allauth's pages and headless API sign people in and out: open to anyone by design,
    # tested in tests/accounts/test_auth_*.py.
    "allauth.": "allauth",
    # The public OpenAPI schema and its Swagger UI (tests/test_api_docs.py).
    "drf_spectacular.": "drf-spectacular",
}


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    callback: object

    @property
    def view_class(self):
        return getattr(self.callback, "view_class", None) or getattr(self.callback, "cls", None)

    @property
    def is_drf(self) -> bool:
        from rest_framework.views import APIView

        cls = self.view_class
        return isinstance(cls, type) and issubclass(cls, APIView)

    def methods(self) -> set[str]:
        """The methods a DRF view class handles; a page answers GET and POST (405 included)."""
        if self.is_drf:
            return {m for m in METHODS if hasattr(self.view_class, m.lower())}
        return set(PAGE_METHODS)

    @property
    def excluded(self) -> bool:
        module = getattr(self.callback, "__module__", "") or ""
        return any(self.name.startswith(p) or module.startswith(p) for p in EXCLUDED)


def _routes() -> dict[str, Route]:
    """Every URL pattern of the URLconf by its (namespaced) name, excluded families left out."""

    def walk(patterns, prefix, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                yield from walk(entry.url_patterns, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern):
                name = entry.name or f"<unnamed {prefix}{entry.pattern}>"
                name = namespace + name
                yield Route(name, prefix + str(entry.pattern), entry.callback)

    routes = {}
    for route in walk(get_resolver().url_patterns, "", ""):
        if route.excluded:
            continue
        assert route.name not in routes, f"two routes named {route.name}"
        routes[route.name] = route
    return routes


def _expected_entries() -> dict:
    entries: dict = {}
    tests_dir = Path(__file__).resolve().parent
    for path in sorted(tests_dir.glob("*/permission_matrix.py")):
        module = importlib.import_module(f"tests.{path.parent.name}.permission_matrix")
        for name, entry in module.EXPECTED.items():
            assert name not in entries, f"{name} declared twice (again in {path})"
            entries[name] = entry
    return entries


def _methods_of(entry: dict) -> set[str]:
    return {key for key in entry if key in METHODS}


def test_every_route_has_a_permission_matrix_entry_and_vice_versa():
    routes, entries = _routes(), _expected_entries()
    missing = sorted(set(routes) - set(entries))
    stale = sorted(set(entries) - set(routes))
    assert not missing, f"routes without an entry in tests/*/permission_matrix.py: {missing}"
    assert not stale, f"permission_matrix entries naming no route: {stale}"


def test_every_entry_covers_each_method_of_its_route():
    routes, entries = _routes(), _expected_entries()
    wrong = []
    for name, entry in entries.items():
        unknown = set(entry) - set(METHODS) - {"kwargs", "path"}
        assert not unknown, f"{name}: unknown keys {unknown}"
        if name in routes and _methods_of(entry) != routes[name].methods():
            wrong.append(
                f"{name}: entry has {sorted(_methods_of(entry))}, "
                f"route takes {sorted(routes[name].methods())}"
            )
    assert not wrong, "\n".join(wrong)


def test_every_entry_covers_every_role():
    for name, entry in _expected_entries().items():
        for method in _methods_of(entry):
            statuses = entry[method]
            unknown = set(statuses) - set(ROLES) - {"default"}
            assert not unknown, f"{name} {method}: unknown roles {unknown}"
            uncovered = [r for r in ROLES if r not in statuses and "default" not in statuses]
            assert not uncovered, f"{name} {method}: no expected status for {uncovered}"


def test_a_route_without_an_entry_is_reported():
    """What the coverage test sees when an API route and a page lose their entries."""
    entries = _expected_entries()
    del entries["api:wallet-deposits"], entries["custody:wallet-deposit"]
    assert set(_routes()) - set(entries) == {"api:wallet-deposits", "custody:wallet-deposit"}


@pytest.fixture
def clients_by_role(make_user):
    """Per role an API client and a page client signed in as one user (staff with TOTP)."""
    from django.test import Client
    from rest_framework.test import APIClient

    clients = {ANONYMOUS: (APIClient(), Client())}
    for role in ROLES[1:]:
        user = make_user() if role == "customer" else make_user(role)
        api, page = APIClient(), Client()
        api.force_login(user)
        page.force_login(user)
        clients[role] = (api, page)
    return clients


def _url(name: str, entry: dict) -> str:
    return entry.get("path") or reverse(name, kwargs=entry.get("kwargs", {}))


def _call(clients, url: str, method: str):
    api, page = clients
    if url.startswith(JSON_PATH_PREFIXES):
        call = getattr(api, method.lower())
        return call(url) if method == "GET" else call(url, {}, format="json")
    call = getattr(page, method.lower())
    return call(url) if method == "GET" else call(url, {})


def _code_of(response) -> str | None:
    if response.get("Content-Type", "").startswith("application/json"):
        return response.json().get("code")
    marker = b'data-code="'
    content = response.content
    if marker not in content:
        return None
    start = content.index(marker) + len(marker)
    return content[start : content.index(b'"', start)].decode()


@pytest.mark.django_db
def test_each_role_gets_the_expected_status_on_each_route(clients_by_role):
    mismatches = []
    calls = 0
    # Entries naming no route are reported by the coverage test above.
    routes = _routes()
    entries = {n: e for n, e in _expected_entries().items() if n in routes}
    for name, entry in sorted(entries.items()):
        url = _url(name, entry)
        for method in sorted(_methods_of(entry)):
            statuses = entry[method]
            for role in ROLES:
                expected = statuses.get(role, statuses.get("default"))
                status, code = expected if isinstance(expected, tuple) else (expected, None)
                response = _call(clients_by_role[role], url, method)
                calls += 1
                got_code = _code_of(response) if code else None
                if response.status_code != status or got_code != code:
                    body = response.content[:160].decode(errors="replace")
                    mismatches.append(
                        f"{method} {url} ({name}) as {role}: {response.status_code}"
                        f"{f' {got_code}' if code else ''}, expected {expected}: {body}"
                    )
    assert calls == sum(len(_methods_of(e)) for e in entries.values()) * len(ROLES) > 0
    assert not mismatches, "\n".join(mismatches)
