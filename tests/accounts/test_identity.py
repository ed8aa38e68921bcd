"""The identity check: provider rules, duplicates and fraud signals, nothing in clear, audit."""

import datetime
from unittest.mock import patch

import pytest
from django.test import override_settings
from django.urls import reverse

from accounts import selectors, services
from accounts.adapters.identity import (
    IdentityDecision,
    IdentitySubmission,
    SandboxIdentityProvider,
    sandbox_bank_card,
    sandbox_national_id,
    sandbox_phone,
)
from accounts.errors import (
    DuplicateIdentity,
    IdentityAlreadyVerified,
    IdentityRejected,
    PiiRevealForbidden,
    PiiRevealReasonRequired,
    TextRefused,
)
from accounts.models import FraudSignal, Identity, IdentityCheck
from core.audit import AuditEvent
from tests.accounts.pii_scan import plaintext_found

URL = "/api/v1/me/identity"


def person(n: int = 1, **overrides) -> dict:
    data = {
        "legal_name": "王小明",
        "national_id": sandbox_national_id(birth=datetime.date(1990, 1, 1), sequence=n),
        "phone": sandbox_phone(n),
        "bank_card": sandbox_bank_card(n),
    }
    data.update(overrides)
    return data


def post(api_client, user, data):
    api_client.force_authenticate(user)
    return api_client.post(URL, data, format="json")


def assert_nothing_in_clear(*values):
    """No table column anywhere holds any of `values` (every text column, raw SQL)."""
    assert plaintext_found(*values) == []


# --- The sandbox provider -------------------------------------------------------------


def verify(**overrides):
    return SandboxIdentityProvider().verify(IdentitySubmission(**person(**overrides)))


def test_sandbox_passes_a_valid_adult_identity():
    decision = verify()
    assert decision.passed, decision.reasons
    assert decision.birth_date == datetime.date(1990, 1, 1)


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"national_id": "110105199001010011"}, "invalid_national_id"),  # bad checksum
        ({"national_id": "11010519900101001"}, "invalid_national_id"),  # too short
        ({"national_id": "999999199001010010"}, "invalid_national_id"),  # unknown place
        ({"legal_name": "王2明"}, "invalid_legal_name"),
        ({"legal_name": "王"}, "invalid_legal_name"),
        ({"legal_name": "A" * 31}, "invalid_legal_name"),
        ({"phone": "12800000001"}, "invalid_phone"),
        ({"phone": "1380000000"}, "invalid_phone"),
        ({"bank_card": "6222020000000000014"}, "invalid_bank_card"),  # bad Luhn
        ({"bank_card": "4242424242424"}, "invalid_bank_card"),  # Luhn-valid, too short
    ],
)
def test_sandbox_refuses_bad_details_with_a_reason(overrides, reason):
    decision = verify(**overrides)
    assert not decision.passed
    assert reason in decision.reasons


@pytest.mark.parametrize("name", ["王小明", "Wang Li", "买买提·艾力", "O'Neil Smith", "Anne-Marie"])
def test_sandbox_accepts_real_name_shapes(name):
    assert verify(legal_name=name).passed


def test_sandbox_refuses_a_minor():
    today = datetime.date.today()
    seventeen = today.replace(year=today.year - 17)
    decision = verify(national_id=sandbox_national_id(birth=seventeen, sequence=3))
    assert decision.reasons == ("underage",)


@pytest.mark.parametrize(
    "overrides",
    [{"national_id": "110105198001019993"}, {"legal_name": "Blocked Person"}],
)
def test_sandbox_has_its_own_blocklist_when_settings_name_none(overrides):
    assert verify(**overrides).reasons == ("identity_blocklisted",)


def test_sandbox_refuses_blocklisted_ids_and_names():
    blocked = person(5)["national_id"]
    with override_settings(
        IDENTITY_BLOCKLIST_NATIONAL_IDS=[blocked], IDENTITY_BLOCKLIST_NAMES=["李黑名"]
    ):
        assert verify(n=5, national_id=blocked).reasons == ("identity_blocklisted",)
        assert verify(legal_name="李黑名").reasons == ("identity_blocklisted",)


# --- The service and the API ----------------------------------------------------------


@pytest.mark.django_db
def test_valid_identity_is_verified_encrypted_masked_and_audited(api_client, make_user):
    user = make_user()
    data = person()
    response = post(api_client, user, data)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["identity"]["status"] == "verified"
    assert (
        body["identity"]["national_id"]
        == data["national_id"][:4] + "********" + data["national_id"][-4:]
    )
    assert body["identity"]["phone"] == data["phone"][:3] + "****" + data["phone"][-4:]
    assert body["identity"]["bank_card"] == "**** **** **** " + data["bank_card"][-4:]
    assert body["identity"]["legal_name"] == "王**"
    assert body["next_step"] == "roles"
    identity = Identity.objects.get(user=user)
    assert selectors.identity_decrypted(identity) == data
    event = AuditEvent.objects.get(action="identity.verify", subject_id=str(user.pk))
    assert event.after["status"] == "verified"
    assert data["national_id"] not in str(event.after)
    assert_nothing_in_clear(
        data["national_id"], data["phone"], data["bank_card"], data["legal_name"]
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"national_id": "110105199001010011"}, "invalid_national_id"),
        ({"bank_card": "6222020000000000014"}, "invalid_bank_card"),
        ({"phone": "10086"}, "invalid_phone"),
        ({"legal_name": "Robot 3000"}, "invalid_legal_name"),
    ],
)
def test_bad_identity_is_refused_with_a_code_and_nothing_stored(
    api_client, make_user, overrides, code
):
    user = make_user()
    data = person(**overrides)
    response = post(api_client, user, data)
    assert response.status_code == 422
    assert response.json()["code"] == code
    assert not Identity.objects.exists()
    check = IdentityCheck.objects.get(user=user)
    assert check.status == "rejected" and code in check.reasons
    assert AuditEvent.objects.filter(action="identity.reject", subject_id=str(user.pk)).count() == 1
    assert selectors.onboarding_get(user).identity_status == "rejected"
    assert_nothing_in_clear(data["national_id"], data["phone"], data["bank_card"])


@pytest.mark.django_db
def test_blocklisted_identity_is_refused_and_flagged(api_client, make_user):
    user = make_user()
    data = person(7)
    with override_settings(IDENTITY_BLOCKLIST_NATIONAL_IDS=[data["national_id"]]):
        response = post(api_client, user, data)
    assert response.status_code == 422
    assert response.json()["code"] == "identity_blocklisted"
    assert FraudSignal.objects.get(user=user).kind == "identity_blocklisted"
    assert not Identity.objects.exists()
    assert_nothing_in_clear(data["national_id"], data["phone"], data["bank_card"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("shared", "code", "signal"),
    [
        ("national_id", "duplicate_identity", "duplicate_national_id"),
        ("phone", "duplicate_phone", "duplicate_phone"),
        ("bank_card", "duplicate_bank_card", "duplicate_bank_card"),
    ],
)
def test_details_of_another_account_are_refused_and_recorded_as_fraud_signal(
    api_client, make_user, shared, code, signal
):
    first, second = make_user(), make_user()
    assert post(api_client, first, person(1)).status_code == 201
    data = person(2, **{shared: person(1)[shared]})
    response = post(api_client, second, data)
    assert response.status_code == 409
    assert response.json()["code"] == code
    assert not Identity.objects.filter(user=second).exists()
    fraud = FraudSignal.objects.get(user=second)
    assert (fraud.kind, fraud.matched_user) == (signal, first)
    # The second person's own (unshared) details are not kept anywhere either.
    others = [v for k, v in data.items() if k not in (shared, "legal_name")]
    assert_nothing_in_clear(*others)


@pytest.mark.django_db
def test_duplicate_national_id_is_found_in_another_spelling(make_user):
    first, second = make_user(), make_user()
    data = person(11, national_id=sandbox_national_id(birth=datetime.date(1985, 5, 5), sequence=99))
    services.identity_submit(user=first, **data)
    spaced = data["national_id"][:6] + " " + data["national_id"][6:].lower()
    with pytest.raises(DuplicateIdentity) as refused:
        services.identity_submit(user=second, **person(12, national_id=spaced))
    assert refused.value.code == "duplicate_identity"


def full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) for ch in text)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("shared", "code"),
    [
        ("national_id", "duplicate_identity"),
        ("phone", "duplicate_phone"),
        ("bank_card", "duplicate_bank_card"),
    ],
)
def test_a_full_width_spelling_of_another_accounts_details_is_a_duplicate(
    api_client, make_user, shared, code
):
    first, second = make_user(), make_user()
    assert post(api_client, first, person(41)).status_code == 201
    data = person(42, **{shared: full_width(person(41)[shared])})
    response = post(api_client, second, data)
    assert response.status_code == 409
    assert response.json()["code"] == code
    assert not Identity.objects.filter(user=second).exists()


@pytest.mark.django_db
def test_a_full_width_blocklisted_national_id_is_refused(api_client, make_user):
    user = make_user()
    data = person(43)
    with override_settings(IDENTITY_BLOCKLIST_NATIONAL_IDS=[data["national_id"]]):
        response = post(api_client, user, {**data, "national_id": full_width(data["national_id"])})
    assert response.status_code == 422
    assert response.json()["code"] == "identity_blocklisted"
    assert not Identity.objects.exists()


@pytest.mark.django_db
def test_a_full_width_identity_is_stored_in_its_ascii_form(api_client, make_user):
    user = make_user()
    data = person(44)
    typed = {**data, "national_id": full_width(data["national_id"])}
    assert post(api_client, user, typed).status_code == 201
    identity = Identity.objects.get(user=user)
    assert selectors.identity_decrypted(identity)["national_id"] == data["national_id"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("national_id", "١١٠١٠٥١٩٩٠٠١٠١٠٠١٠", "invalid_national_id"),
        ("phone", "१३८०००००००१", "invalid_phone"),
        ("bank_card", "٦٢٢٢٠٢٠٠٠٠٠٠٠٠٠٠٠١٣", "invalid_bank_card"),
    ],
)
def test_digits_of_other_scripts_are_refused(api_client, make_user, field, value, code):
    user = make_user()
    response = post(api_client, user, person(45, **{field: value}))
    assert response.status_code == 422
    assert response.json()["code"] == code
    assert not Identity.objects.exists()


@pytest.mark.django_db
def test_the_service_refuses_other_scripts_digits_whatever_the_provider_says(make_user):
    class LenientProvider:
        name = "lenient"

        def verify(self, submission):
            return IdentityDecision(passed=True, birth_date=datetime.date(1990, 1, 1))

    user = make_user()
    with (
        patch("accounts.services.identity.identity_provider", LenientProvider),
        pytest.raises(IdentityRejected) as refused,
    ):
        services.identity_submit(user=user, **person(46, phone="١٣٨٠٠٠٠٠٠٠١"))
    assert refused.value.code == "invalid_phone"
    assert not Identity.objects.exists()


@pytest.mark.django_db
def test_a_verified_identity_cannot_be_submitted_again(make_user):
    user = make_user()
    services.identity_submit(user=user, **person(21))
    with pytest.raises(IdentityAlreadyVerified):
        services.identity_submit(user=user, **person(22))
    assert IdentityCheck.objects.filter(user=user).count() == 1


@pytest.mark.django_db
def test_a_rejected_user_may_try_again_and_pass(make_user):
    user = make_user()
    with pytest.raises(IdentityRejected):
        services.identity_submit(user=user, **person(31, phone="123"))
    services.identity_submit(user=user, **person(31))
    assert selectors.onboarding_get(user).identity_status == "verified"
    assert list(IdentityCheck.objects.filter(user=user).values_list("status", flat=True)) == [
        "verified",
        "rejected",
    ]


@pytest.mark.django_db
def test_missing_fields_are_a_400_with_fields_and_nothing_stored(api_client, make_user):
    user = make_user()
    response = post(api_client, user, {"legal_name": "王小明"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "required"
    assert set(body["fields"]) == {"national_id", "phone", "bank_card"}
    assert not IdentityCheck.objects.exists()


@pytest.mark.django_db
def test_identity_api_needs_a_signed_in_user(api_client):
    assert api_client.post(URL, person(), format="json").status_code == 401


@pytest.mark.django_db
def test_key_rotation_reencrypts_and_rehashes_stored_identities(make_user):
    from cryptography.fernet import Fernet
    from django.conf import settings

    old = list(settings.PII_ENCRYPTION_KEYS)
    user = make_user()
    data = person(41)
    services.identity_submit(user=user, **data)
    before = Identity.objects.get(user=user)
    new_key = Fernet.generate_key().decode()
    with override_settings(PII_ENCRYPTION_KEYS=[new_key, *old]):
        # Old rows still decrypt and still count as duplicates before rotation.
        assert selectors.identity_decrypted(before) == data
        with pytest.raises(DuplicateIdentity):
            services.identity_submit(user=make_user(), **person(42, phone=data["phone"]))
        assert services.identity_pii_rotate() == 1
    with override_settings(PII_ENCRYPTION_KEYS=[new_key]):
        after = Identity.objects.get(user=user)
        assert selectors.identity_decrypted(after) == data
        assert after.phone_hash != before.phone_hash
        with pytest.raises(DuplicateIdentity):
            services.identity_submit(user=make_user(), **person(43, bank_card=data["bank_card"]))


REASON = "Complaint C-1042: customer disputes the bank card on file"


@pytest.mark.django_db
def test_staff_reveal_of_pii_is_audited_with_its_reason_and_others_are_refused(client, make_user):
    user = make_user()
    data = person(51)
    services.identity_submit(user=user, **data)
    identity = Identity.objects.get(user=user)
    officer = make_user("compliance")
    customer = make_user()
    with pytest.raises(PiiRevealForbidden):
        services.identity_pii_reveal(identity=identity, viewer=customer, reason=REASON)
    assert not AuditEvent.objects.filter(action="pii.view").exists()
    assert services.identity_pii_reveal(identity=identity, viewer=officer, reason=REASON) == data
    event = AuditEvent.objects.get(action="pii.view")
    assert (event.actor, event.subject_id) == (officer, str(user.pk))
    assert event.after == {"fields": sorted(data), "reason": REASON}
    # The audit trail records that data was seen and why, never the data itself.
    for value in (data["national_id"], data["phone"], data["bank_card"], data["legal_name"]):
        assert value not in str(event.after) and value not in str(event.before)


@pytest.mark.django_db
def test_a_reveal_reason_compliance_reads_is_free_of_control_characters(make_user):
    user = make_user()
    services.identity_submit(user=user, **person(53))
    identity = Identity.objects.get(user=user)
    with pytest.raises(TextRefused) as refused:
        services.identity_pii_reveal(
            identity=identity, viewer=make_user("compliance"), reason=REASON + "\u202e"
        )
    assert refused.value.code == "text_control_characters"
    assert not AuditEvent.objects.filter(action="pii.view").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["", "   ", "because", "  short   "])
def test_reveal_without_a_reason_of_ten_characters_is_refused(make_user, reason):
    user = make_user()
    services.identity_submit(user=user, **person(52))
    identity = Identity.objects.get(user=user)
    with pytest.raises(PiiRevealReasonRequired):
        services.identity_pii_reveal(
            identity=identity, viewer=make_user("compliance"), reason=reason
        )
    assert not AuditEvent.objects.filter(action="pii.view").exists()


@pytest.mark.django_db
def test_reviewers_cannot_reveal_pii(client, make_user):
    user = make_user()
    services.identity_submit(user=user, **person(53))
    identity = Identity.objects.get(user=user)
    reviewer = make_user("reviewer")
    with pytest.raises(PiiRevealForbidden):
        services.identity_pii_reveal(identity=identity, viewer=reviewer, reason=REASON)
    client.force_login(reviewer)
    url = reverse("admin:accounts_identity_reveal", args=[identity.pk])
    assert client.post(url, {"reason": REASON}).status_code == 403
    assert client.get(url).status_code == 403
    change = client.get(reverse("admin:accounts_identity_change", args=[identity.pk]))
    assert change.status_code == 200  # still sees the masked identity
    assert url not in change.content.decode()
    assert not AuditEvent.objects.filter(action="pii.view").exists()


@pytest.mark.django_db
def test_admin_shows_masked_identity_and_reveal_needs_a_reason_and_writes_audit_event(
    client, make_user
):
    from allauth.mfa.models import Authenticator

    user = make_user()
    data = person(61)
    services.identity_submit(user=user, **data)
    identity = Identity.objects.get(user=user)
    officer = make_user("compliance")
    assert Authenticator.objects.filter(user=officer).exists()
    client.force_login(officer)
    change = client.get(reverse("admin:accounts_identity_change", args=[identity.pk]))
    assert change.status_code == 200
    page = change.content.decode()
    assert identity.national_id_masked in page
    assert data["national_id"] not in page and data["phone"] not in page
    url = reverse("admin:accounts_identity_reveal", args=[identity.pk])
    assert url in page

    ask = client.get(url)
    assert ask.status_code == 200
    assert 'name="reason"' in ask.content.decode()
    assert data["national_id"] not in ask.content.decode()
    for bad in ({}, {"reason": "curious"}):
        refused = client.post(url, bad)
        assert refused.status_code == 200
        assert data["national_id"] not in refused.content.decode()
        assert 'class="errorlist' in refused.content.decode()
    assert not AuditEvent.objects.filter(action="pii.view").exists()

    reveal = client.post(url, {"reason": REASON})
    assert reveal.status_code == 200
    assert data["national_id"] in reveal.content.decode()
    assert "no-store" in reveal["Cache-Control"]
    event = AuditEvent.objects.get(action="pii.view", actor=officer)
    assert event.after["reason"] == REASON


@pytest.mark.django_db
def test_identity_checks_stop_after_five_rejections_a_day(api_client, make_user):
    user = make_user()
    for n in range(5):
        response = post(api_client, user, person(70 + n, phone="100"))
        assert response.json()["code"] == "invalid_phone"
    response = post(api_client, user, person(80))
    assert response.status_code == 429
    assert response.json()["code"] == "identity_attempts_exceeded"
    assert not Identity.objects.filter(user=user).exists()
    assert IdentityCheck.objects.filter(user=user).count() == 5


@pytest.mark.django_db
def test_pii_rotate_command_rewrites_rows_under_the_new_key(make_user):
    from cryptography.fernet import Fernet
    from django.conf import settings
    from django.core.management import call_command

    user = make_user()
    data = person(90)
    services.identity_submit(user=user, **data)
    new_key = Fernet.generate_key().decode()
    with override_settings(PII_ENCRYPTION_KEYS=[new_key, *settings.PII_ENCRYPTION_KEYS]):
        call_command("pii_rotate", stdout=open("/dev/null", "w"))  # noqa: SIM115
    with override_settings(PII_ENCRYPTION_KEYS=[new_key]):
        assert selectors.identity_decrypted(Identity.objects.get(user=user)) == data
    assert AuditEvent.objects.filter(action="pii.rotate", subject_type="identity").count() == 1
