"""A large marketplace serves a page rendered a moment ago (page and API); a small one is
always fresh; the cache is keyed by the filters, the page and (for the API's links) the host."""

from decimal import Decimal as D

import pytest
from django.core.cache import cache
from django.urls import reverse

from lending.models import Loan

pytestmark = pytest.mark.django_db


def left_in_api(client, url):
    return client.get(url).json()["results"][0]["left_amount"]


def test_small_marketplace_is_always_fresh(client, open_loan):
    url = reverse("api:loan-list")
    assert left_in_api(client, url) == "10000.00"
    Loan.objects.filter(pk=open_loan.pk).update(funded_amount=D("300.00"))
    assert left_in_api(client, url) == "9700.00"


def test_large_marketplace_api_serves_a_recent_rendering(client, open_loan, large_marketplace):
    url = reverse("api:loan-list")
    assert left_in_api(client, url) == "10000.00"
    Loan.objects.filter(pk=open_loan.pk).update(funded_amount=D("300.00"))
    assert left_in_api(client, url) == "10000.00"  # up to MARKETPLACE_PAGE_TTL old
    assert left_in_api(client, url + "?ordering=rate") == "9700.00"  # other filters: own key
    other_host = client.get(url, HTTP_HOST="testserver2").json()
    assert other_host["results"][0]["left_amount"] == "9700.00"
    cache.clear()
    assert left_in_api(client, url) == "9700.00"


def test_large_marketplace_page_serves_a_recent_rendering(client, open_loan, large_marketplace):
    url = reverse("lending:loan-list")
    first = client.get(url).content.decode()
    assert open_loan.reference in first and "<table" in first  # rendered HTML, not escaped
    Loan.objects.filter(pk=open_loan.pk).update(funded_amount=D("300.00"))
    assert 'value="0.00"' in client.get(url).content.decode()
    assert 'value="300.00"' in client.get(url + "?grade=B").content.decode()
    resp = client.get(url + "?grade=A")
    assert open_loan.reference not in resp.content.decode()


def test_bad_filters_are_refused_not_cached(client, open_loan, large_marketplace):
    url = reverse("api:loan-list") + "?min_rate=abc"
    assert client.get(url).status_code == 400
    assert client.get(url).status_code == 400
