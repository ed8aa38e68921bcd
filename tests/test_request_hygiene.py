"""NUL bytes in a URL are refused with a 400 before they can reach a database filter."""

import pytest


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "json"),
    [
        ("/admin/custody/journalentry/?kind=%00", False),
        ("/wallet/history?kind=%00", False),
        ("/api/v1/wallet/entries?kind=a%00b", True),
    ],
)
def test_nul_byte_in_query_string_is_refused(client, make_user, url, json):
    client.force_login(make_user("investor"))
    response = client.get(url)
    assert response.status_code == 400
    if json:
        assert response.json()["code"] == "malformed_request"


@pytest.mark.postgres
@pytest.mark.django_db
def test_admin_filter_with_nul_byte_does_not_reach_postgresql(client, make_user):
    staff = make_user("compliance")
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    assert client.get("/admin/custody/journalentry/?kind=%00").status_code == 400
    assert client.get("/admin/custody/journalentry/?kind=deposit").status_code == 200
