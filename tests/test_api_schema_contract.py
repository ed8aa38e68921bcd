"""The OpenAPI schema states what the server enforces, and the server enforces what the
schema states: pages, empty query values, JSON types, text, amounts and filter ranges.
(tests/test_api_fuzz.py checks the whole API that way; these pin each rule by name.)"""

import pytest

from core.fields import NON_BLANK_PATTERN, TEXT_PATTERN

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(db):
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.fixture
def client(api_client, make_user):
    api_client.force_authenticate(make_user("investor"))
    return api_client


def _parameters(schema, path):
    return {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}


def test_page_parameters_say_how_the_server_reads_them(schema):
    params = _parameters(schema, "/api/v1/wallet/deposits")
    assert params["page"]["schema"] == {"type": "integer", "minimum": 1}
    assert params["page"]["allowEmptyValue"] is True  # `page=` is the first page
    size = params["page_size"]["schema"]
    assert (size["minimum"], size["maximum"]) == (1, 999999)  # above 100 gives 100
    assert params["page_size"]["allowEmptyValue"] is False


@pytest.mark.parametrize("page", ["+1", " 1", "1_0", "last", "\u0661", "1.0", "0"])
def test_a_page_that_is_not_a_whole_number_from_one_is_404(client, page):
    response = client.get("/api/v1/wallet/deposits", {"page": page})
    assert response.status_code == 404, response.content
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("page", ["", "1", "001"])
def test_the_first_page_may_be_asked_for_as_one_or_empty(client, page):
    assert client.get("/api/v1/wallet/deposits", {"page": page}).status_code == 200


def test_an_empty_filter_value_is_documented_as_refused_and_refused(client, schema):
    assert _parameters(schema, "/api/v1/wallet/entries")["kind"]["allowEmptyValue"] is False
    response = client.get("/api/v1/wallet/entries?kind=")
    assert response.status_code == 400
    assert "kind" in response.json()["fields"]


def test_the_csv_export_still_refuses_junk_page_parameters(client):
    response = client.get("/api/v1/wallet/entries?export=csv&page_size=null")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_page_size"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/me/identity", {"legal_name": 123}, "legal_name"),
        ("/api/v1/auto-invest-rules", {"min_term_months": "3"}, "min_term_months"),
        ("/api/v1/auto-invest-rules", {"min_term_months": 3.0}, "min_term_months"),
        ("/api/v1/auto-invest-rules", {"is_active": "true"}, "is_active"),
        ("/api/v1/auto-invest-rules", {"is_active": 1}, "is_active"),
        ("/api/v1/auto-invest-rules", {"grades": "A"}, "grades"),
    ],
)
def test_a_json_value_of_another_type_than_its_field_is_refused(client, path, body, field):
    """DRF alone would take 123 as "123", "3" or 3.0 as 3 and "true" or 1 as True."""
    response = client.post(path, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert response.json()["code"] == "wrong_type"


def test_an_api_amount_with_white_space_around_it_is_refused(client):
    response = client.post(
        "/api/v1/wallet/deposits", {"amount": " 10.00"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "amount_invalid"


def test_text_inputs_state_that_nul_and_blank_text_are_refused(client, schema):
    components = schema["components"]["schemas"]
    assert components["IdentityInputRequest"]["properties"]["legal_name"]["pattern"] == (
        NON_BLANK_PATTERN
    )
    # The transaction password is taken as typed: spaces count, NUL does not.
    assert components["WithdrawalCreateRequest"]["properties"]["password"]["pattern"] == (
        TEXT_PATTERN
    )
    body = {"legal_name": " \u3000 ", "national_id": "a\x00", "phone": "1", "bank_card": "1"}
    fields = client.post("/api/v1/me/identity", body, format="json").json()["fields"]
    assert {"legal_name", "national_id"} <= set(fields)


def test_the_employer_rule_is_part_of_the_borrower_profile_schema(schema):
    profile = schema["components"]["schemas"]["BorrowerProfileInputRequest"]
    assert {
        "required": ["employer"],
        "properties": {"employer": {"pattern": NON_BLANK_PATTERN}},
    } in (profile["anyOf"])


@pytest.mark.parametrize(
    "query", ["min_left=-1", "max_rate=1.5", "min_rate=-0.1", "term=0", "term=32589158477190044730"]
)
def test_marketplace_filters_refuse_values_outside_their_range(client, query):
    assert client.get(f"/api/v1/loans?{query}").status_code == 400


def test_every_operation_documents_the_servers_414_without_an_error_body(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert "content" not in operation["responses"]["414"], f"{method} {path}"
