"""Marketplace API: filters, sorting, masking, and a query count that does not grow with the page."""

from decimal import Decimal as D

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.lending.factories import LoanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def loans(make_user, product):
    borrower = make_user("borrower")
    made = []
    for i, (grade, term, rate) in enumerate(
        [
            ("A", 6, "0.08"),
            ("B", 12, "0.10"),
            ("C", 12, "0.12"),
            ("D", 24, "0.15"),
            ("E", 24, "0.18"),
        ]
    ):
        made.append(
            LoanFactory(
                borrower=borrower,
                product=product,
                grade=grade,
                term_months=term,
                annual_rate=D(rate),
                amount=D("10000"),
                funded_amount=D(i * 1000),
                purpose="education" if i % 2 else "vehicle",
            )
        )
    LoanFactory(borrower=borrower, product=product, status="funded", funded_amount=D("10000"))
    return made


def test_list_shows_open_loans_only_with_public_fields_to_anonymous(api_client, loans):
    body = api_client.get(reverse("api:loan-list")).json()
    assert body["count"] == 5
    first = body["results"][0]
    assert "disclosure" not in first
    assert {"id", "reference", "status", "grade", "annual_rate", "left_amount"} <= set(first)
    assert isinstance(first["annual_rate"], str)


def test_signed_in_users_see_the_masked_disclosure(api_client, loans, make_user):
    api_client.force_authenticate(make_user("investor"))
    detail = api_client.get(reverse("api:loan-detail", kwargs={"pk": loans[0].id})).json()
    assert detail["disclosure"]["borrower"]["name"] == "Z*** W**"
    anonymous = api_client.__class__().get(reverse("api:loan-detail", kwargs={"pk": loans[0].id}))
    assert "disclosure" not in anonymous.json()


@pytest.mark.parametrize(
    ("query", "expected_grades"),
    [
        ("?grade=A&grade=C", ["A", "C"]),
        ("?term=24", ["D", "E"]),
        ("?min_rate=0.10&max_rate=0.15", ["B", "C", "D"]),
        ("?min_left=8000", ["A", "B", "C"]),
        ("?max_left=6000", ["E"]),
        ("?purpose=vehicle", ["A", "C", "E"]),
    ],
)
def test_list_filters(api_client, loans, query, expected_grades):
    body = api_client.get(reverse("api:loan-list") + query + "&ordering=rate").json()
    assert [r["grade"] for r in body["results"]] == expected_grades


def test_list_sorts(api_client, loans):
    by_rate_desc = api_client.get(reverse("api:loan-list") + "?ordering=-rate").json()["results"]
    assert [r["grade"] for r in by_rate_desc] == ["E", "D", "C", "B", "A"]
    by_left = api_client.get(reverse("api:loan-list") + "?ordering=left").json()["results"]
    assert [r["left_amount"] for r in by_left] == [
        "6000.00",
        "7000.00",
        "8000.00",
        "9000.00",
        "10000.00",
    ]


@pytest.mark.parametrize(
    "query",
    # An Arabic-Indic one, an exponent and a plus sign: Decimal() reads all three.
    ["grade=Z", "min_rate=abc", "min_rate=%D9%A1", "min_left=1e10", "max_left=%2B5"],
)
def test_bad_filter_is_a_400_with_a_code(api_client, loans, query):
    resp = api_client.get(reverse("api:loan-list") + "?" + query)
    assert resp.status_code == 400
    assert resp.json()["code"]


def test_list_query_count_is_pinned_and_independent_of_page_size(api_client, make_user, product):
    borrower = make_user("borrower")
    LoanFactory.create_batch(30, borrower=borrower, product=product)
    counts = []
    for size in (2, 10, 30):
        cache.clear()  # count the uncached case: the total is cached for a few seconds
        with CaptureQueriesContext(connection) as ctx:
            resp = api_client.get(reverse("api:loan-list") + f"?page_size={size}")
        assert resp.status_code == 200
        assert len(resp.json()["results"]) == size
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] == counts[2]
    assert counts[0] <= 2  # count + page

    from lending import pagination

    pagination_threshold = pagination.CACHE_COUNTS_FROM
    pagination.CACHE_COUNTS_FROM = 10  # large lists cache their total
    try:
        api_client.get(reverse("api:loan-list") + "?page_size=10")
        with CaptureQueriesContext(connection) as ctx:
            api_client.get(reverse("api:loan-list") + "?page_size=10&page=2")
        assert len(ctx.captured_queries) == 1  # the total came from the cache
        with CaptureQueriesContext(connection) as ctx:
            api_client.get(reverse("api:loan-list") + "?page_size=10")
        assert len(ctx.captured_queries) == 0  # so did the page rendered a moment ago
    finally:
        pagination.CACHE_COUNTS_FROM = pagination_threshold


def test_unknown_loan_is_404(api_client, db):
    assert api_client.get(reverse("api:loan-detail", kwargs={"pk": 999999})).status_code == 404
