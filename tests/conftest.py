"""Shared fixtures: service requirements, API clients, users by role, the browser.

Tests marked `postgres` or `redis` need the real server. Without it they skip and say
why; with REQUIRE_SERVICES=1 (CI) a missing server fails the test instead.
"""

import os
import shutil

import pytest
from django.conf import settings
from django.db import connection

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run
# beside one unless told that this is deliberate.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _missing(what: str, why: str) -> None:
    if settings.REQUIRE_SERVICES:
        pytest.fail(f"{what} is required (REQUIRE_SERVICES=1) but {why}", pytrace=False)
    pytest.skip(f"needs {what}: {why}")


def redis_url() -> str | None:
    """The Redis URL the suite may use: the Celery broker's, or the cache's."""
    for url in (settings.CELERY_BROKER_URL, os.environ.get("CACHE_URL", "")):
        if url.startswith(("redis://", "rediss://")):
            return url
    return None


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        _missing("PostgreSQL", "DATABASE_URL does not point at PostgreSQL")
    if item.get_closest_marker("redis") and redis_url() is None:
        _missing("Redis", "neither CELERY_BROKER_URL nor CACHE_URL is a redis:// URL")
    if item.get_closest_marker("browser") and CHROMIUM is None:
        _missing("Chromium", "no chromium on PATH (apt-get install chromium)")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters, used TOTP codes and throttles live in the cache: start each
    test with none, so tests neither leak limits into each other nor depend on order."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the platform's default language: a request through the test
    client leaves LocaleMiddleware's choice (Chinese, say) active in the test's thread."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def make_user(db):
    """Create a verified user holding the given roles (staff roles get TOTP enrolled)."""
    from tests.accounts.factories import PASSWORD, UserFactory

    counter = iter(range(1, 1_000_000))

    def make(*roles: str, email: str | None = None, password: str = PASSWORD, mfa=None):
        email = email or f"user{next(counter)}-{'-'.join(roles) or 'plain'}@example.test"
        return UserFactory(email=email, password=password, roles=roles, mfa=mfa)

    return make


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def _chromium():
    from playwright.sync_api import sync_playwright

    if CHROMIUM is None:
        pytest.skip("no chromium on PATH")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(request, _chromium):
    """A fresh browser page (own cookies) for tests marked `browser`; pair with live_server.
    Console errors other than expected HTTP statuses fail the test."""
    context = _chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.console_errors = []
    page.on(
        "console",
        lambda m: (
            page.console_errors.append(m.text)
            if m.type == "error" and "Failed to load resource" not in m.text
            else None
        ),
    )
    page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
    yield page
    context.close()
    assert not page.console_errors, page.console_errors


@pytest.fixture
def page_login(page, live_server):
    """Sign `user` in on the browser page (session cookie of a forced login); return page."""
    from django.test import Client

    def login(user):
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        page.context.add_cookies(
            [
                {
                    "name": "sessionid",
                    "value": client.cookies["sessionid"].value,
                    "url": live_server.url,
                }
            ]
        )
        return page

    return login
