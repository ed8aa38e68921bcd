"""The statistics pages: /disclosure/ with its charts and archive, a period's page with its
versions, the home page's headline, and the drill-down to the loans behind a figure (for
compliance, operations and regulators only)."""

from datetime import date

import pytest
from django.test import Client

from disclosure.services.statistics import statistics_restate, statistics_snapshot_take
from lending.business_date import business_date_set
from tests.disclosure.statistics_book import build_book

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def published(make_user):
    book = build_book(make_user)
    statistics_snapshot_take(period="2026-06")
    business_date_set(on=date(2026, 7, 1))
    return book


def _client(user=None):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_disclosure_page_shows_figures_charts_fees_and_archive(published):
    response = _client().get("/disclosure/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "91,000" in html  # outstanding principal
    assert "14.29%" in html  # amount overdue rate
    assert "93.41%" in html  # ten largest borrowers' share
    assert html.count("<svg") == 2  # two server-side charts, no script
    assert '<script src="http' not in html
    assert 'href="/disclosure/statistics/2026-06/"' in html  # the archive
    assert "Personal loan" in html and "2%" in html  # the fee schedule
    # The public page has no drill-down links and no loan references.
    assert "/loans" not in html and "LNSTAT-" not in html


def test_disclosure_page_before_anything_is_published(db):
    response = _client().get("/disclosure/")
    assert response.status_code == 200
    assert b"once the first daily snapshot has passed its checks" in response.content


def test_period_page_lists_its_versions_and_restatement_note(published, make_user):
    statistics_restate(
        period="2026-06", note="Recount after a late posting.", actor=make_user("compliance")
    )
    html = _client().get("/disclosure/statistics/2026-06/").content.decode()
    assert "Recount after a late posting." in html
    assert 'href="?version=1"' in html
    old = _client().get("/disclosure/statistics/2026-06/?version=1").content.decode()
    assert "version 1." in old and "Recount" in old  # the note stays listed with version 2


@pytest.mark.parametrize("period", ["2026-13", "2026-05", "nonsense"])
def test_period_page_404s_for_a_bad_or_unpublished_period(published, period):
    assert _client().get(f"/disclosure/statistics/{period}/").status_code == 404


def test_home_page_headline(published):
    html = _client().get("/").content.decode()
    assert "The platform in figures" in html
    assert "96,000" in html and "91,000" in html and "14.29%" in html


def test_home_page_without_statistics_has_no_headline(db):
    assert b"The platform in figures" not in _client().get("/").content


@pytest.mark.parametrize("role", ["compliance", "operations", "regulator"])
def test_drill_down_lists_exactly_the_loans_behind_a_figure(published, make_user, role):
    client = _client(make_user(role))
    response = client.get("/disclosure/statistics/2026-06/overdue_90_amount/loans")
    assert response.status_code == 200
    html = response.content.decode()
    listed = {ref for ref in published.refs(*published.loans) if ref in html}
    assert listed == published.refs("O91", "D")
    staff_html = client.get("/disclosure/").content.decode()
    assert "/disclosure/statistics/2026-06/overdue_amount/loans?version=1" in staff_html


def test_drill_down_pages_through_a_large_set(published, make_user):
    client = _client(make_user("compliance"))
    first = client.get("/disclosure/statistics/2026-06/loans_cumulative_count/loans").content
    assert b"18 loans behind it" in first
    # 18 loans fit one page of 50: no pager.
    assert b"Page 1 of" not in first


@pytest.mark.parametrize("role", ["investor", "borrower", "reviewer", "collections", "approver"])
def test_drill_down_refuses_other_roles(published, make_user, role):
    response = _client(make_user(role)).get("/disclosure/statistics/2026-06/overdue_count/loans")
    assert response.status_code == 403
    assert b"LNSTAT-" not in response.content


def test_drill_down_sends_anonymous_visitors_to_sign_in(published):
    response = _client().get("/disclosure/statistics/2026-06/overdue_count/loans")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_drill_down_404s_for_an_unknown_figure_or_version(published, make_user):
    client = _client(make_user("regulator"))
    assert client.get("/disclosure/statistics/2026-06/nonsense/loans").status_code == 404
    assert (
        client.get("/disclosure/statistics/2026-06/overdue_count/loans?version=9").status_code
        == 404
    )
    assert client.get("/disclosure/statistics/2026-99/overdue_count/loans").status_code == 404


def test_drill_down_shows_a_blocked_version_with_its_failed_check(published, make_user):
    from lending.models import Investment

    Investment.objects.filter(loan=published.loans["R3"]).update(principal_received_amount=1)
    statistics_restate(period="2026-06", note="Recount", actor=make_user("operations"))
    client = _client(make_user("compliance"))
    html = client.get(
        "/disclosure/statistics/2026-06/overdue_count/loans?version=2"
    ).content.decode()
    assert "Blocked" in html and "outstanding_matches_holdings" in html
