"""Every lending route answers each role as tests/lending/permission_matrix.py says."""

import pytest
from django.urls import reverse

from tests.lending.permission_matrix import EXPECTED

ROLES = [
    "anonymous",
    "customer",
    "investor",
    "borrower",
    "reviewer",
    "approver",
    "collections",
    "compliance",
    "regulator",
]


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("role", ROLES)
def test_route_answers_role_as_expected(api_client, make_user, name, role):
    method, kwargs, expected = EXPECTED[name]
    if role != "anonymous":
        user = make_user() if role == "customer" else make_user(role)
        api_client.force_authenticate(user)
    resp = getattr(api_client, method.lower())(reverse(name, kwargs=kwargs), {}, format="json")
    assert resp.status_code == expected.get(role, expected["default"]), resp.content
