"""An API URL that matches no route answers JSON 404 with a code, like every other API error."""

import pytest


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/loans/abc",
        "/api/v1/loans/-1/investments",
        "/api/v1/loans/%EF%BC%91",  # a fullwidth digit: the int converter takes ASCII only
        "/api/v1/me/notifications/1.5/read",
        "/api/v1/no-such-endpoint",
    ],
)
def test_unrouted_api_url_is_json_404_with_code(client, make_user, url):
    client.force_login(make_user("investor"))
    response = client.post(url) if url.endswith("investments") else client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_unrouted_page_url_is_still_an_html_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
