"""Schema-driven fuzzing of the API in process: schemathesis generates requests from
/api/schema/ against demo data (the schema's examples, its coverage cases and a few
derandomized fuzzed ones per operation) and runs every check on each answer: no 500, every
status, body, header and content type as documented, every schema-valid request accepted
and every schema-violating one refused, missing headers and auth noticed. The configuration
is schemathesis.toml's and the two rules a schema cannot state are taught by
tests/schemathesis_hooks.py, so a run against a live server agrees with this one."""

from io import StringIO

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from demo.seed import DEMO_PASSWORD
from tests import schemathesis_hooks  # noqa: F401 - registers the check and hooks

schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def session_token(db, client):
    """A headless session of the demo customer who both invests and borrows."""
    call_command("seed_demo", stdout=StringIO())
    response = client.post(
        "/_allauth/app/v1/auth/login",
        {"email": "both@demo.example", "password": DEMO_PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["meta"]["session_token"]


@pytest.fixture
def api_schema(session_token):
    """The schema, served by the real WSGI app inside the test's transaction: as in Django's
    test client, a request must not close the connection that holds it (so no test client
    request may run after this, since the client connects the closer again)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi(
            "/api/schema/",
            get_wsgi_application(),
            config=SchemathesisConfig.from_path(django_settings.BASE_DIR / "schemathesis.toml"),
        )
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=5,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_every_generated_request_as_documented(case, session_token):
    # Each case starts with fresh throttles: two thousand requests would otherwise meet 429s.
    cache.clear()
    # Every check schemathesis has, as configured (positive_data_acceptance is replaced by
    # the hooks' schema_valid_request_passes_validation; see schemathesis.toml).
    case.call_and_validate(headers={"X-Session-Token": session_token})
