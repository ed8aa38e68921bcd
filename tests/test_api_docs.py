"""The OpenAPI schema is valid and the docs page renders under the strict CSP."""

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_openapi_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in ("/api/v1/me", "/api/v1/wallet", "/api/v1/wallet/deposits"):
        assert f"{path}:" in text


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_api_docs_render_swagger_ui_with_no_csp_violation(live_server, page):
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=15000)
    assert page.locator(".swagger-ui .opblock").count() > 5
    # The `page` fixture fails the test on any console error, CSP violations included.


@pytest.fixture
def schema(db):
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def test_every_api_operation_documents_its_error_responses(schema):
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    assert schema["components"]["schemas"]["Error"]["required"] == ["code", "message"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            where = f"{method.upper()} {path}"
            assert responses["400"]["content"] == error, where
            assert "429" in responses, where
            if "{" in path:
                assert "404" in responses, where
            if {} not in operation["security"]:
                assert {"401", "403"} <= set(responses), where
            if method == "post":
                assert {"409", "422"} <= set(responses), where


def test_documented_success_status_is_the_one_returned(schema):
    # The disbursement maker's POST answers 201 (it creates the disbursement).
    ops = schema["paths"]["/api/v1/ops/loans/{id}/disburse"]["post"]["responses"]
    assert "201" in ops and "200" not in ops
    approve = schema["paths"]["/api/v1/ops/loans/{id}/disburse/approve"]["post"]["responses"]
    assert "200" in approve


def test_wallet_entries_document_the_csv_export(schema):
    content = schema["paths"]["/api/v1/wallet/entries"]["get"]["responses"]["200"]["content"]
    assert set(content) == {"application/json", "text/csv"}


def test_idempotency_key_parameter_documents_its_pattern(schema):
    import re

    from core.idempotency import KEY_PATTERN

    post = schema["paths"]["/api/v1/wallet/deposits"]["post"]
    (param,) = [p for p in post["parameters"] if p["name"] == "Idempotency-Key"]
    assert param["schema"]["pattern"] == KEY_PATTERN
    assert re.fullmatch(KEY_PATTERN, "order-1") and not re.fullmatch(KEY_PATTERN, "a b")
