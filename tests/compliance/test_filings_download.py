"""Regulators download filings (page and API) through a short-lived signed link made for them
alone, each download audited; everyone else, expired links and other people's links are
refused."""

import hashlib
import time
from types import SimpleNamespace

import pytest
from django.core import signing
from django.urls import reverse

from compliance.models import Filing
from compliance.services.filings import filing_generate
from core.audit import AuditEvent
from tests.compliance.filings_book import make_book
from tests.servers import session_token

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

PERIOD = "2026-02-01"


@pytest.fixture
def filing(make_user, onboarding, product) -> Filing:
    make_book(make_user, onboarding, product)
    return filing_generate(kind="daily_loans", period=PERIOD, fmt="csv").filing


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _downloads() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="compliance.filing_downloaded").order_by("id"))


def _expire_links(monkeypatch, seconds: int = 301) -> None:
    """Move django.core.signing's clock past the links' five minutes."""
    now = time.time()
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: now + seconds))


@pytest.mark.parametrize("role", ["regulator", "compliance"])
def test_a_regulator_downloads_from_the_page_through_a_signed_link(client, make_user, filing, role):
    user = make_user(role)
    client.force_login(user)
    page = client.get(reverse("compliance:filing-list"))
    assert page.status_code == 200
    download = reverse("compliance:filing-download", args=[filing.pk])
    assert download in page.content.decode()
    link = client.get(download)
    assert link.status_code == 302
    assert link["Location"].startswith("/regulator/filings/file/")
    response = client.get(link["Location"])
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="{filing.file_name}"' in response["Content-Disposition"]
    body = _body(response)
    assert body.startswith(b"loan_reference,borrower_pseudonym,")
    assert hashlib.sha256(body).hexdigest() == filing.sha256 == response["X-Content-SHA256"]
    [event] = _downloads()
    assert (event.actor_id, event.subject_type, event.subject_id) == (
        user.pk,
        "filing",
        str(filing.pk),
    )
    assert event.after["sha256"] == filing.sha256 and event.after["version"] == 1


def test_a_regulator_downloads_through_the_api_with_a_session_token(api_client, make_user, filing):
    user = make_user("regulator")
    headers = {"X-Session-Token": session_token(user)}
    listing = api_client.get("/api/v1/filings", headers=headers)
    assert listing.status_code == 200
    [item] = listing.json()["results"]
    assert item["id"] == filing.pk and item["sha256"] == filing.sha256
    assert item["download"] == f"/api/v1/filings/{filing.pk}/download"
    link = api_client.get(item["download"], headers=headers)
    assert link.status_code == 200
    data = link.json()
    assert set(data) == {"url", "expires_at", "filename", "sha256"}
    assert data["url"].startswith("http://testserver/api/v1/filings/files/")
    response = api_client.get(data["url"], headers=headers)
    assert response.status_code == 200
    assert _body(response).startswith(b"loan_reference,")
    [event] = _downloads()
    assert event.actor_id == user.pk


def test_the_api_filters_by_kind_format_and_period_and_refuses_bad_filters(
    api_client, make_user, filing
):
    filing_generate(kind="daily_loans", period="2026-03-01", fmt="json")
    api_client.force_authenticate(make_user("regulator"))
    url = "/api/v1/filings"

    def periods(**query):
        response = api_client.get(url, query)
        assert response.status_code == 200, response.content
        return [(f["period"], f["format"]) for f in response.json()["results"]]

    assert periods() == [("2026-03-01", "json"), (PERIOD, "csv")]
    assert periods(format="csv") == [(PERIOD, "csv")]
    assert periods(kind="daily_loans", period_from="2026-02-15") == [("2026-03-01", "json")]
    assert periods(period_to="2026-02-01") == [(PERIOD, "csv")]
    assert periods(kind="monthly_statistics") == []
    for bad in (
        {"kind": "gossip"},
        {"format": "pdf"},
        {"period_from": "yesterday"},
        {"period_from": "2026-03-01", "period_to": "2026-02-01"},
    ):
        response = api_client.get(url, bad)
        assert response.status_code == 400, bad
        assert response.json()["code"], bad


def test_the_page_refuses_a_bad_filter_with_a_400_and_lists_nothing(client, make_user, filing):
    client.force_login(make_user("regulator"))
    response = client.get(
        reverse("compliance:filing-list"), {"period_from": "2026-03-01", "period_to": "2026-02-01"}
    )
    assert response.status_code == 400
    assert 'data-code="period_range_invalid"' in response.content.decode()
    assert reverse("compliance:filing-download", args=[filing.pk]) not in response.content.decode()
    ok = client.get(reverse("compliance:filing-list"), {"kind": "daily_loans", "format": "csv"})
    assert ok.status_code == 200
    assert reverse("compliance:filing-download", args=[filing.pk]) in ok.content.decode()


@pytest.mark.parametrize("role", ["investor", "borrower", "reviewer", "operations", None])
def test_others_are_refused_the_filings(client, api_client, make_user, filing, role):
    user = make_user(role) if role else make_user()
    client.force_login(user)
    for name, args in (("compliance:filing-list", []), ("compliance:filing-download", [filing.pk])):
        response = client.get(reverse(name, args=args))
        assert response.status_code == 403, name
        assert 'data-code="role_required"' in response.content.decode()
    api_client.force_authenticate(user)
    for url in ("/api/v1/filings", f"/api/v1/filings/{filing.pk}/download"):
        response = api_client.get(url)
        assert response.status_code == 403, url
    # Even holding a regulator's valid link.
    regulator = make_user("regulator")
    token = signing.dumps({"f": filing.pk, "u": regulator.pk}, salt="compliance.filing-download")
    assert api_client.get(f"/api/v1/filings/files/{token}").status_code == 403
    assert client.get(reverse("compliance:filing-file", args=[token])).status_code == 403
    assert _downloads() == []


def test_anonymous_visitors_are_sent_to_sign_in_and_the_api_answers_401(client, api_client, filing):
    response = client.get(reverse("compliance:filing-list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get(reverse("compliance:filing-download", args=[filing.pk])).status_code == 302
    assert api_client.get("/api/v1/filings").status_code == 401
    assert api_client.get(f"/api/v1/filings/{filing.pk}/download").status_code == 401


def test_another_users_link_names_nothing(client, api_client, make_user, filing):
    owner, other = make_user("regulator"), make_user("regulator")
    api_client.force_authenticate(owner)
    url = api_client.get(f"/api/v1/filings/{filing.pk}/download").json()["url"]
    api_client.force_authenticate(other)
    response = api_client.get(url)
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    client.force_login(other)
    token = url.rsplit("/", 1)[-1]
    assert client.get(reverse("compliance:filing-file", args=[token])).status_code == 404
    assert _downloads() == []
    api_client.force_authenticate(owner)
    assert api_client.get(url).status_code == 200


def test_a_forged_or_altered_link_names_nothing(api_client, make_user, filing):
    user = make_user("regulator")
    api_client.force_authenticate(user)
    forged = signing.dumps({"f": filing.pk, "u": user.pk}, salt="another-purpose")
    assert api_client.get(f"/api/v1/filings/files/{forged}").status_code == 404
    url = api_client.get(f"/api/v1/filings/{filing.pk}/download").json()["url"]
    assert api_client.get(url[:-2] + ("AA" if url[-2:] != "AA" else "BB")).status_code == 404
    assert _downloads() == []


def test_an_expired_link_is_refused(client, api_client, make_user, filing, monkeypatch):
    user = make_user("regulator")
    api_client.force_authenticate(user)
    url = api_client.get(f"/api/v1/filings/{filing.pk}/download").json()["url"]
    _expire_links(monkeypatch)
    response = api_client.get(url)
    assert response.status_code == 403 and response.json()["code"] == "filing_link_expired"
    client.force_login(user)
    page = client.get(reverse("compliance:filing-file", args=[url.rsplit("/", 1)[-1]]))
    assert page.status_code == 403 and 'data-code="filing_link_expired"' in page.content.decode()
    assert _downloads() == []


def test_a_missing_filing_is_404(api_client, client, make_user, filing):
    user = make_user("regulator")
    api_client.force_authenticate(user)
    assert api_client.get("/api/v1/filings/999999/download").status_code == 404
    client.force_login(user)
    assert client.get(reverse("compliance:filing-download", args=[999999])).status_code == 404


def test_a_regulator_without_totp_is_stopped_on_page_and_api(client, api_client, make_user, filing):
    user = make_user("regulator", mfa=False)
    client.force_login(user)
    response = client.get(reverse("compliance:filing-list"))
    assert response.status_code == 302 and "/accounts/2fa/" in response["Location"]
    response = api_client.get("/api/v1/filings", headers={"X-Session-Token": session_token(user)})
    assert response.status_code == 403 and response.json()["code"] == "mfa_required"


def test_compliance_reads_filings_in_the_admin_and_cannot_change_them(client, make_user, filing):
    client.force_login(make_user("compliance"))
    assert client.get(reverse("admin:compliance_filing_changelist")).status_code == 200
    page = client.get(reverse("admin:compliance_filing_change", args=[filing.pk]))
    assert page.status_code == 200 and filing.sha256 in page.content.decode()
    assert client.get(reverse("admin:compliance_filing_add")).status_code == 403
    client.force_login(make_user("reviewer"))
    assert client.get(reverse("admin:compliance_filing_changelist")).status_code == 403
