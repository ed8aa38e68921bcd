"""GET /api/v1/disclosure/statistics[/{period}]: the latest published snapshot or a period's,
to anyone, decimals as strings, no personal data; 400 with a code for a malformed period,
404 for one with nothing published."""

from datetime import date

import pytest

from disclosure.services.statistics import statistics_restate, statistics_snapshot_take
from disclosure.services.statistics_figures import FIGURE_SETS
from lending.business_date import business_date_set
from lending.models import Investment
from tests.disclosure.statistics_book import EXPECTED, build_book

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def published(make_user):
    book = build_book(make_user)
    statistics_snapshot_take(period="2026-06-30")
    statistics_snapshot_take(period="2026-06")
    business_date_set(on=date(2026, 7, 1))
    return book


def test_the_latest_published_snapshot_to_anyone(api_client, published):
    response = api_client.get("/api/v1/disclosure/statistics")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {
        "period", "kind", "version", "as_of", "period_start", "published_on", "currency",
        "restatement_note", "figures", "fees",
    }  # fmt: skip
    # The day and the month end on the same date: the monthly report sorts first.
    assert (body["period"], body["kind"], body["version"]) == ("2026-06", "monthly", 1)
    assert body["published_on"] == "2026-07-01"
    assert set(body["figures"]) == set(FIGURE_SETS)
    assert body["figures"]["outstanding_principal_amount"] == "91000.00"
    assert body["figures"]["top10_lenders_share"] == "0.9066"
    assert body["figures"]["overdue_90_count"] == 2
    for key, value in EXPECTED.items():
        expected = value if isinstance(value, int) else str(value)
        assert body["figures"][key] == expected, key
    assert body["fees"][0]["service_fee_rate"] == "0.020000"


def test_a_period_monthly_or_daily(api_client, published):
    daily = api_client.get("/api/v1/disclosure/statistics/2026-06-30").json()
    assert (daily["kind"], daily["period_start"]) == ("daily", "2026-06-30")
    assert daily["figures"]["loans_period_count"] == 0
    monthly = api_client.get("/api/v1/disclosure/statistics/2026-06").json()
    assert monthly["figures"]["loans_period_count"] == 6


def test_no_personal_data_or_loan_ids_in_the_answer(api_client, published):
    text = api_client.get("/api/v1/disclosure/statistics/2026-06").content.decode()
    for user in [*published.borrowers, *published.lenders]:
        assert user.email not in text
    for loan in published.loans.values():
        assert loan.reference not in text


@pytest.mark.parametrize("period", ["2026-13", "2026-02-30", "June", "2026-6", "2026-06-1"])
def test_a_malformed_period_is_400_with_a_code(api_client, published, period):
    response = api_client.get(f"/api/v1/disclosure/statistics/{period}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_period"


def test_a_period_with_nothing_published_is_404(api_client, published):
    for period in ("2026-05", "2026-06-29"):
        response = api_client.get(f"/api/v1/disclosure/statistics/{period}")
        assert response.status_code == 404
        assert response.json()["code"] == "statistics_not_found"


def test_a_monthly_report_is_hidden_until_its_publication_day(api_client, published):
    business_date_set(on=date(2026, 6, 30))
    assert api_client.get("/api/v1/disclosure/statistics/2026-06").status_code == 404
    latest = api_client.get("/api/v1/disclosure/statistics").json()
    assert latest["period"] == "2026-06-30"


def test_a_blocked_restatement_leaves_the_published_version_served(
    api_client, published, make_user
):
    Investment.objects.filter(loan=published.loans["R3"]).update(principal_received_amount=1)
    blocked = statistics_restate(period="2026-06", note="Recount", actor=make_user("operations"))
    assert blocked.status == "blocked"
    body = api_client.get("/api/v1/disclosure/statistics/2026-06").json()
    assert body["version"] == 1
