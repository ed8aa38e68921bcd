"""The lending blocklist in the admin: a reviewer types a national ID, phone, bank card or
enterprise credit code as written, only its keyed hash (the one accounts stores) is kept,
and the review rejects a borrower whose identifier is blocklisted, with the hit in its
reasons."""

import datetime
import io
import unicodedata
from decimal import Decimal as D

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from accounts import pii
from accounts import services as onboarding
from accounts.adapters.enterprise_registry import sandbox_credit_code
from accounts.adapters.identity import sandbox_bank_card, sandbox_national_id, sandbox_phone
from accounts.pii import PiiKind
from accounts.services import enterprise as services_enterprise
from core.audit import AuditEvent
from lending.models import Application, BlocklistEntry
from lending.services.applications import application_review, application_submit

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:lending_blocklistentry_add")
_seq = iter(range(7000, 9000))


def make_borrower(make_user, *, enterprise: bool):
    user = make_user("borrower")
    n = next(_seq)
    national_id = sandbox_national_id(birth=datetime.date(1981, 4, 5), sequence=n)
    phone, bank_card = sandbox_phone(45_000_000 + n), sandbox_bank_card(450_000 + n)
    onboarding.identity_submit(
        user=user, legal_name="王小明", national_id=national_id, phone=phone, bank_card=bank_card
    )
    code = sandbox_credit_code(n)
    if enterprise:
        register_company(user, credit_code=code, national_id=national_id)
    onboarding.borrower_profile_submit(
        user=user,
        employment_status="business_owner",
        employer="深圳湾科技有限公司",
        monthly_income_amount=D("300000"),
        monthly_obligations_amount=D("20000"),
        other_platform_outstanding_amount=D("0"),
        purposes=["business"],
    )
    user = type(user).objects.get(pk=user.pk)
    user.credit_code, user.national_id, user.phone, user.bank_card = (
        code,
        national_id,
        phone,
        bank_card,
    )
    return user


def register_company(user, *, credit_code: str, national_id: str) -> None:
    """The user registers the company they represent (accounts' real enterprise service)."""
    services_enterprise.enterprise_submit(
        user=user,
        company_name="深圳湾科技有限公司",
        credit_code=credit_code,
        legal_representative_name="王小明",
        legal_representative_id=national_id,
        registered_address="广东省深圳市南山区科苑路15号",
    )


def submit(borrower, product, amount="50000"):
    return application_submit(
        borrower=borrower,
        product_id=product.pk,
        amount=D(amount),
        term_months=12,
        method="equal_installment",
        purpose="working_capital",
    )


def test_reviewer_blocks_a_credit_code_by_typing_it_and_only_its_hash_is_kept(client, make_user):
    company = make_borrower(make_user, enterprise=True)
    reviewer = make_user("reviewer")
    client.force_login(reviewer)
    response = client.post(
        ADD_URL,
        {"kind": "credit_code", "identifier": company.credit_code, "reason": "fraud"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    entry = BlocklistEntry.objects.get()
    assert entry.kind == BlocklistEntry.Kind.CREDIT_CODE
    assert entry.value == company.enterprise.credit_code_hash
    assert entry.reason == "fraud"
    event = AuditEvent.objects.get(action="lending.blocklist_entry_added")
    assert event.actor_id == reviewer.pk and event.subject_id == str(entry.pk)
    assert event.after["value"] == entry.value
    # The code itself is stored nowhere in clear, only masked in the audit event.
    assert company.credit_code not in str(event.after)
    assert event.after["identifier"] != company.credit_code


def test_a_full_width_code_typed_with_spaces_hashes_like_the_enterprise(client, make_user):
    company = make_borrower(make_user, enterprise=True)
    typed = unicodedata.normalize("NFKC", company.credit_code)
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in typed)
    client.force_login(make_user("reviewer"))
    response = client.post(
        ADD_URL,
        {"kind": "credit_code", "identifier": f" {full_width[:9]} {full_width[9:]} "},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert BlocklistEntry.objects.get().value == company.enterprise.credit_code_hash


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "credit_code", "identifier": ""}, "identifier"),
        ({"kind": "credit_code", "identifier": "91440300MA5XXXXXX1"}, "identifier"),
        ({"kind": "credit_code", "identifier": "not a code"}, "identifier"),
        ({"kind": "phone", "identifier": ""}, "identifier"),
        ({"kind": "phone", "identifier": sandbox_credit_code(1)}, "identifier"),
        ({"kind": "phone", "identifier": "12345678901"}, "identifier"),
        ({"kind": "phone", "identifier": "١٣٨٠٠١٣٨٠٠٠"}, "identifier"),  # Arabic-Indic digits
        ({"kind": "national_id", "identifier": "110105199001011230"}, "identifier"),  # check digit
        ({"kind": "bank_account", "identifier": "6222020000000000001"}, "identifier"),  # Luhn
        ({"kind": "email", "identifier": "not-an-email"}, "identifier"),
    ],
)
def test_admin_refuses_a_bad_blocklist_entry_and_saves_nothing(client, make_user, data, field):
    client.force_login(make_user("reviewer"))
    response = client.post(ADD_URL, {"reason": "", **data})
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not BlocklistEntry.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="lending.blocklist").exists()


def test_admin_refuses_the_same_credit_code_twice(client, make_user):
    code = sandbox_credit_code(42)
    client.force_login(make_user("reviewer"))
    assert client.post(ADD_URL, {"kind": "credit_code", "identifier": code}).status_code == 302
    response = client.post(ADD_URL, {"kind": "credit_code", "identifier": code.lower()})
    assert response.status_code == 200
    assert BlocklistEntry.objects.count() == 1


def test_an_email_is_stored_lower_cased(client, make_user):
    client.force_login(make_user("reviewer"))
    response = client.post(ADD_URL, {"kind": "email", "identifier": "Bad@Example.TEST"})
    assert response.status_code == 302
    assert BlocklistEntry.objects.get().value == "bad@example.test"


def test_personal_identifiers_typed_in_clear_hash_like_the_identity(client, make_user):
    """National ID, phone and bank card are typed as written (separators, +86, full-width
    digits allowed) and stored as the same keyed hash as the borrower's Identity, so the
    review matches them; only a mask reaches the audit trail."""
    borrower = make_borrower(make_user, enterprise=False)
    identity = borrower.identity
    card = borrower.bank_card
    typed = {
        "national_id": borrower.national_id.lower(),
        "phone": "+86 " + borrower.phone,
        "bank_account": " ".join(card[i : i + 4] for i in range(0, len(card), 4)),
    }
    client.force_login(make_user("reviewer"))
    for kind, value in typed.items():
        response = client.post(ADD_URL, {"kind": kind, "identifier": value, "reason": "fraud"})
        assert response.status_code == 302, response.content.decode()[:2000]
    stored = dict(BlocklistEntry.objects.values_list("kind", "value"))
    assert stored == {
        "national_id": identity.national_id_hash,
        "phone": identity.phone_hash,
        "bank_account": identity.bank_card_hash,
    }
    for event in AuditEvent.objects.filter(action="lending.blocklist_entry_added"):
        assert not any(v.replace(" ", "") in str(event.after) for v in typed.values())


def test_changing_the_reason_keeps_the_stored_identifier(client, make_user):
    from django.contrib.auth.models import Permission

    code = sandbox_credit_code(7)
    editor = make_user("reviewer")
    editor.user_permissions.add(Permission.objects.get(codename="change_blocklistentry"))
    client.force_login(editor)
    client.post(ADD_URL, {"kind": "credit_code", "identifier": code, "reason": "first"})
    entry = BlocklistEntry.objects.get()
    url = reverse("admin:lending_blocklistentry_change", args=[entry.pk])
    response = client.post(url, {"kind": "credit_code", "identifier": "", "reason": "second"})
    assert response.status_code == 302, response.content.decode()[:2000]
    hashed = entry.value
    entry.refresh_from_db()
    assert (entry.reason, entry.value) == ("second", hashed)
    assert hashed and code not in hashed


def test_review_rejects_an_enterprise_whose_credit_code_is_blocklisted(make_user, product):
    company = make_borrower(make_user, enterprise=True)
    BlocklistEntry.objects.create(
        kind="credit_code", value=company.enterprise.credit_code_hash, reason="shell company"
    )
    application = application_review(application_id=submit(company, product).pk)
    assert application.status == Application.Status.REJECTED
    assert "blocklist:credit_code" in application.decision_reasons
    assert "blocklist:credit_code" in application.fraud_flags
    assert application.is_auto_decided
    event = AuditEvent.objects.get(action="lending.application_reviewed")
    assert "blocklist:credit_code" in event.after["reasons"]


def test_review_ignores_a_blocklisted_code_of_another_company(make_user, product):
    company = make_borrower(make_user, enterprise=True)
    other = make_borrower(make_user, enterprise=True)
    BlocklistEntry.objects.create(kind="credit_code", value=other.enterprise.credit_code_hash)
    application = application_review(application_id=submit(company, product).pk)
    assert not any(f.startswith("blocklist") for f in application.fraud_flags)
    assert not any(r.startswith("blocklist") for r in application.decision_reasons)


def test_an_individual_is_not_matched_against_credit_codes(make_user, product):
    person = make_borrower(make_user, enterprise=False)
    # An empty value must never match an individual's empty credit-code key.
    BlocklistEntry.objects.create(kind="credit_code", value="")
    application = application_review(application_id=submit(person, product).pk)
    assert "blocklist:credit_code" not in application.fraud_flags


# --- A PII key rotation ---------------------------------------------------------------


def rotate_to(new_key: str, *old_keys: str) -> str:
    """Run `pii_rotate` with `new_key` prepended; returns what the command printed."""
    out = io.StringIO()
    with override_settings(PII_ENCRYPTION_KEYS=[new_key, *old_keys]):
        call_command("pii_rotate", stdout=out)
    return out.getvalue()


def test_a_blocked_identity_stays_blocked_through_a_key_rotation(client, make_user, product):
    """Entry and identity hashed under the old key; then a new key is prepended (so the
    two may be under different keys), `pii_rotate` runs, and the old key is removed: the
    borrower is refused at every step, and the bureau's report never changes."""
    old_keys = list(settings.PII_ENCRYPTION_KEYS)
    new_key = Fernet.generate_key().decode()
    borrower = make_borrower(make_user, enterprise=False)
    client.force_login(make_user("reviewer"))
    response = client.post(ADD_URL, {"kind": "national_id", "identifier": borrower.national_id})
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = BlocklistEntry.objects.get()
    assert borrower.national_id not in entry.value_encrypted

    def review():
        application = application_review(application_id=submit(borrower, product).pk)
        assert application.status == Application.Status.REJECTED
        assert "blocklist:national_id" in application.decision_reasons
        return application.bureau_report

    first_report = review()
    with override_settings(PII_ENCRYPTION_KEYS=[new_key, *old_keys]):
        assert review() == first_report
        # Typed again while both keys are configured: already on the list.
        again = client.post(ADD_URL, {"kind": "national_id", "identifier": borrower.national_id})
        assert again.status_code == 200 and BlocklistEntry.objects.count() == 1
    assert "1 blocklist entries" in rotate_to(new_key, *old_keys)
    with override_settings(PII_ENCRYPTION_KEYS=[new_key]):
        entry.refresh_from_db()
        assert entry.value == pii.lookup_hash(PiiKind.NATIONAL_ID, borrower.national_id)
        assert pii.decrypt(entry.value_encrypted) == borrower.national_id
        assert review() == first_report
    event = AuditEvent.objects.get(action="pii.rotate", subject_type="blocklist_entry")
    assert event.after == {"rows": 1, "hash_only": 0}


def test_rotation_names_entries_it_cannot_rehash(make_user):
    """An entry stored as a bare hash (before identifiers were kept encrypted) is left as
    it is, and the command says how many there are."""
    borrower = make_borrower(make_user, enterprise=False)
    BlocklistEntry.objects.create(kind="phone", value=borrower.identity.phone_hash)
    BlocklistEntry.objects.create(kind="email", value="bad@example.test")
    printed = rotate_to(Fernet.generate_key().decode(), *settings.PII_ENCRYPTION_KEYS)
    assert "0 blocklist entries to the current key" in printed
    assert "1 blocklist entries hold only a hash" in printed
    assert BlocklistEntry.objects.get(kind="phone").value == borrower.identity.phone_hash
