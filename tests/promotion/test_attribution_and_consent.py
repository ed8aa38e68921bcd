"""Campaign attribution from the first landing through signup, verification and sign-in;
marketing consent given at signup, withdrawn in settings and through the API, every change
recorded; ops see conversion by campaign."""

from decimal import Decimal

import pytest

from accounts.models import User
from core.audit import AuditEvent
from promotion.models import Attribution, ConsentChange, ConsentSource, MarketingConsent
from promotion.selectors import DIRECT, REFERRAL, campaign_conversion
from tests.accounts.auth_support import verification_code

PASSWORD = "Sturdy-Pass-2026!"


def _sign_up(client, email: str, **extra) -> None:
    response = client.post(
        "/accounts/signup/",
        {"email": email, "password1": PASSWORD, "password2": PASSWORD, **extra},
    )
    assert response.status_code == 302, response.content[:500]


@pytest.mark.django_db
def test_the_first_landing_is_kept_through_signup_verification_and_sign_in(client):
    client.get("/?utm_source=weibo&utm_medium=social&utm_campaign=spring-2026&ref=ab12cd")
    # A second campaign link before signup does not replace the first touch.
    client.get("/?utm_source=baidu&utm_campaign=summer")

    _sign_up(client, "newcomer@example.com")
    response = client.post(
        "/accounts/confirm-email/", {"code": verification_code("newcomer@example.com")}
    )
    assert response.status_code == 302
    client.logout()
    # Signed in again from another campaign's link: still the first landing.
    client.get("/?utm_campaign=autumn")
    client.post("/accounts/login/", {"login": "newcomer@example.com", "password": PASSWORD})

    attribution = Attribution.objects.get(user__email="newcomer@example.com")
    assert (attribution.source, attribution.medium, attribution.campaign) == (
        "weibo",
        "social",
        "spring-2026",
    )
    assert attribution.referral_code == "ab12cd"
    assert attribution.landing_path == "/"
    assert attribution.first_visit_at <= attribution.signed_up_at
    assert Attribution.objects.count() == 1


@pytest.mark.django_db
def test_a_direct_visit_records_no_attribution_and_counts_as_direct(client):
    client.get("/")
    _sign_up(client, "direct@example.com")
    assert not Attribution.objects.exists()
    rows = {row.campaign: row for row in campaign_conversion()}
    assert rows[DIRECT].signed_up == 1


@pytest.mark.django_db
def test_landing_parameters_are_cleaned_and_cut_to_their_columns(client):
    client.get("/", {"utm_campaign": "  x" * 80 + "\x07\x1b", "ref": "R" * 50})
    _sign_up(client, "long@example.com")
    attribution = Attribution.objects.get()
    assert len(attribution.campaign) == 100
    assert attribution.campaign.isprintable()
    assert attribution.referral_code == "R" * 32


@pytest.mark.django_db
def test_consent_given_at_signup_withdrawn_in_settings_every_change_recorded(client):
    _sign_up(client, "keen@example.com", marketing_consent="on")
    consent = MarketingConsent.objects.get(user__email="keen@example.com")
    assert consent.granted is True
    client.post("/accounts/confirm-email/", {"code": verification_code("keen@example.com")})

    response = client.post("/account/marketing/", {"granted": "no"})
    assert response.status_code == 302
    # Saying the same again records nothing new.
    client.post("/account/marketing/", {"granted": "no"})
    consent.refresh_from_db()
    assert consent.granted is False
    changes = list(
        ConsentChange.objects.filter(user=consent.user)
        .order_by("id")
        .values_list("granted", "source")
    )
    assert changes == [(True, ConsentSource.SIGNUP), (False, ConsentSource.SETTINGS)]
    assert AuditEvent.objects.filter(action="promotion.consent_withdrawn").count() == 1
    page = client.get("/account/marketing/").content.decode()
    assert "You do not receive news and offers." in page


@pytest.mark.django_db
def test_an_unticked_signup_box_is_no_consent_and_records_nothing(client):
    from promotion.selectors import consent_granted

    _sign_up(client, "quiet@example.com")
    user = User.objects.get(email="quiet@example.com")
    assert consent_granted(user) is False
    assert not MarketingConsent.objects.exists()
    assert not ConsentChange.objects.exists()


@pytest.mark.django_db
def test_consent_through_the_api(api_client, make_user):
    user = make_user("investor")
    api_client.force_authenticate(user)
    assert api_client.get("/api/v1/me/marketing-consent").json() == {
        "granted": False,
        "changed_at": None,
    }
    response = api_client.put("/api/v1/me/marketing-consent", {"granted": True}, format="json")
    assert response.status_code == 200
    assert response.json()["granted"] is True
    for bad in ({}, {"granted": "maybe"}, {"granted": None}):
        response = api_client.put("/api/v1/me/marketing-consent", bad, format="json")
        assert response.status_code == 400
        assert response.json()["code"]
    assert MarketingConsent.objects.get(user=user).granted is True
    assert ConsentChange.objects.filter(user=user, source=ConsentSource.API).count() == 1


@pytest.mark.django_db
def test_staff_are_never_marketed_to(api_client, make_user):
    staff = make_user("operations")
    api_client.force_authenticate(staff)
    response = api_client.put("/api/v1/me/marketing-consent", {"granted": True}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "staff_not_allowed"
    assert not MarketingConsent.objects.exists()


@pytest.mark.django_db
def test_conversion_by_campaign_counts_each_step(client, make_user):
    from tests.promotion.funnel import deposit, invest, verify

    # Two from "spring", one of whom goes all the way; one from a referral link only.
    for email, query in (
        ("a@example.com", "?utm_campaign=spring"),
        ("b@example.com", "?utm_campaign=spring"),
        ("c@example.com", "?ref=code1"),
    ):
        client.get("/" + query)
        _sign_up(client, email)
        client.logout()
    verify("a@example.com")
    deposit("a@example.com", Decimal("500.00"))
    invest("a@example.com", Decimal("100.00"))
    verify("c@example.com")

    rows = {row.campaign: row for row in campaign_conversion()}
    spring = rows["spring"]
    assert (spring.signed_up, spring.verified, spring.deposited, spring.invested) == (2, 1, 1, 1)
    assert spring.invested_rate == Decimal("0.5000")
    referral = rows[REFERRAL]
    assert (referral.signed_up, referral.verified, referral.deposited) == (1, 1, 0)


@pytest.mark.django_db
def test_the_data_export_holds_consent_and_attribution_and_erasure_removes_them(client):
    from compliance.data_export import personal_data_export
    from compliance.services.data_requests import erasure_request

    client.get("/?utm_campaign=spring")
    _sign_up(client, "leaving@example.com", marketing_consent="on")
    user = Attribution.objects.get().user

    data = personal_data_export(user)
    assert data["marketing_consent"] == [
        {"granted": True, "changed_at": data["marketing_consent"][0]["changed_at"]}
    ]
    assert [c["source"] for c in data["marketing_consent_changes"]] == ["signup"]
    assert data["attribution"][0]["campaign"] == "spring"

    erasure_request(user=user)
    assert not MarketingConsent.objects.filter(user=user).exists()
    assert not ConsentChange.objects.filter(user=user).exists()
    assert not Attribution.objects.filter(user=user).exists()
