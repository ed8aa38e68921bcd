"""Marketplace page filters: a bad filter is shown as an error (400, nothing listed), never
silently dropped, and a refused request is never cached."""

import pytest
from django.core.cache import cache
from django.http import QueryDict
from django.urls import reverse

from lending import pagination
from lending.selectors import LOAN_ORDERINGS

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "query",
    [
        "grade=A&term=abc",
        "grade=Z",
        "min_rate=abc",
        "min_left=NaN",
        "ordering=password",
        "min_rate=%D9%A1",  # Arabic-Indic one
        "min_rate=1e1",
        "min_left=%2B100",  # +100
    ],
)
def test_marketplace_refuses_a_bad_filter_with_its_error_and_no_list(client, open_loan, query):
    resp = client.get(reverse("lending:loan-list") + "?" + query)
    assert resp.status_code == 400
    body = resp.content.decode()
    assert "Check the filters" in body
    assert open_loan.reference not in body
    assert "No open loans match" not in body
    assert 'type="submit"' in body  # the filter form stays usable


def test_marketplace_bad_term_names_the_field(client, open_loan):
    body = client.get(reverse("lending:loan-list") + "?grade=B&term=abc").content.decode()
    assert "Term:" in body


def test_marketplace_valid_filters_still_list(client, open_loan):
    resp = client.get(reverse("lending:loan-list") + "?grade=B&term=12&page=1")
    assert resp.status_code == 200 and open_loan.reference in resp.content.decode()


def test_marketplace_never_caches_a_refused_request(client, open_loan, large_marketplace):
    bad = "grade=B&term=abc"
    for _ in range(2):
        assert client.get(reverse("lending:loan-list") + "?" + bad).status_code == 400
    assert cache.get(pagination.page_cache_key("html", QueryDict(bad))) is None
    good = "grade=B"
    client.get(reverse("lending:loan-list") + "?" + good)
    assert cache.get(pagination.page_cache_key("html", QueryDict(good))) is not None


@pytest.mark.parametrize("ordering", list(LOAN_ORDERINGS))
def test_marketplace_page_and_api_accept_every_sort_order_of_the_selector(
    client, open_loan, ordering
):
    page = client.get(reverse("lending:loan-list"), {"ordering": ordering})
    assert page.status_code == 200 and open_loan.reference in page.content.decode()
    client.force_login(open_loan.borrower)
    api = client.get(reverse("api:loan-list"), {"ordering": ordering})
    assert api.status_code == 200 and api.json()["count"] == 1
