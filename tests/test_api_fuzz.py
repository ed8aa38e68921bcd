"""Schema-driven fuzzing of the API in process: schemathesis generates requests from
/api/schema/ against demo data (a few derandomized examples per operation). No request may
get a 500, and every answer's status and body must be the ones the schema documents."""

from io import StringIO

import pytest
import schemathesis
from django.core.cache import cache
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from demo.seed import DEMO_PASSWORD

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
        yield schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
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
    # Business rules (amount ranges, onboarding order) legitimately refuse schema-valid
    # input, so schemathesis' positive/negative data checks do not apply.
    case.call_and_validate(
        headers={"X-Session-Token": session_token},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
