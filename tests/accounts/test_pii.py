"""PII at rest: encryption, key rotation, keyed lookup hashes and masking."""

import pytest
from cryptography.fernet import Fernet
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from accounts import pii
from accounts.pii import PiiKind

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def test_encrypt_round_trips_and_hides_the_value():
    with override_settings(PII_ENCRYPTION_KEYS=[OLD_KEY]):
        token = pii.encrypt("110105199001010010")
        assert "110105199001010010" not in token
        assert pii.decrypt(token) == "110105199001010010"


def test_value_encrypted_with_old_key_decrypts_after_new_key_is_prepended():
    with override_settings(PII_ENCRYPTION_KEYS=[OLD_KEY]):
        token = pii.encrypt("13800001234")
        old_hash = pii.lookup_hash(PiiKind.PHONE, "13800001234")
    with override_settings(PII_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
        assert pii.decrypt(token) == "13800001234"
        # Lookups still find rows hashed under the old key until they are rotated.
        assert old_hash in pii.lookup_hashes(PiiKind.PHONE, "13800001234")
        assert pii.lookup_hash(PiiKind.PHONE, "13800001234") != old_hash
        rotated = pii.rotate(token)
    with override_settings(PII_ENCRYPTION_KEYS=[NEW_KEY]):
        assert pii.decrypt(rotated) == "13800001234"
        with pytest.raises(pii.PiiKeyError):
            pii.decrypt(token)


def test_lookup_hash_is_keyed_normalised_and_separated_by_kind():
    with override_settings(PII_ENCRYPTION_KEYS=[OLD_KEY]):
        a = pii.lookup_hash(PiiKind.PHONE, "+86 138-0000-1234")
        b = pii.lookup_hash(PiiKind.PHONE, "13800001234")
        assert a == b
        assert pii.lookup_hash(PiiKind.BANK_CARD, "13800001234") != b
        assert pii.lookup_hash(PiiKind.NATIONAL_ID, "11010519900101001x") == pii.lookup_hash(
            PiiKind.NATIONAL_ID, "11010519900101001X"
        )
    with override_settings(PII_ENCRYPTION_KEYS=[NEW_KEY]):
        assert pii.lookup_hash(PiiKind.PHONE, "13800001234") != b


@pytest.mark.parametrize(
    ("kind", "value", "masked"),
    [
        (PiiKind.NATIONAL_ID, "110105199001011234", "1101********1234"),
        (PiiKind.PHONE, "13812345678", "138****5678"),
        (PiiKind.PHONE, "+86 138 1234 5678", "138****5678"),
        (PiiKind.BANK_CARD, "6222 0200 0000 0001 234", "**** **** **** 1234"),
        (PiiKind.LEGAL_NAME, "王小明", "王**"),
        (PiiKind.LEGAL_NAME, "Wang Li", "W*** L*"),
    ],
)
def test_mask_hides_all_but_a_few_characters(kind, value, masked):
    assert pii.mask(kind, value) == masked


digits = st.text(alphabet="0123456789", min_size=16, max_size=19)


@given(card=digits)
def test_masked_card_never_shows_more_than_the_last_four(card):
    masked = pii.mask(PiiKind.BANK_CARD, card)
    assert masked.endswith(card[-4:])
    assert sum(c.isdigit() for c in masked) == 4


@given(
    number=st.text(alphabet="0123456789", min_size=17, max_size=17),
    check=st.sampled_from("0123456789X"),
)
def test_masked_national_id_keeps_eight_characters(number, check):
    masked = pii.mask(PiiKind.NATIONAL_ID, number + check)
    assert masked == number[:4] + "********" + number[14:] + check
    assert len(masked.replace("*", "")) == 8


@given(phone=st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_phone_spellings_hash_alike(phone):
    with override_settings(PII_ENCRYPTION_KEYS=[OLD_KEY]):
        plain = "13" + phone
        spaced = f"+86 {plain[:3]} {plain[3:7]} {plain[7:]}"
        assert pii.lookup_hash(PiiKind.PHONE, plain) == pii.lookup_hash(PiiKind.PHONE, spaced)


def _full_width(text: str, mask: list[bool]) -> str:
    """`text` with the characters picked by `mask` typed in full width (as a CJK IME does)."""
    return (
        "".join(
            chr(ord(ch) + 0xFEE0) if pick and "!" <= ch <= "~" else ch
            for ch, pick in zip(text, mask, strict=False)
        )
        + text[len(mask) :]
    )


@given(
    kind_and_value=st.one_of(
        st.tuples(
            st.just(PiiKind.NATIONAL_ID),
            st.text(alphabet="0123456789", min_size=17, max_size=17).map(lambda d: d + "X"),
        ),
        st.tuples(
            st.just(PiiKind.PHONE), st.text(alphabet="0123456789", min_size=9, max_size=9)
        ).map(lambda t: (t[0], "13" + t[1])),
        st.tuples(
            st.just(PiiKind.BANK_CARD), st.text(alphabet="0123456789", min_size=16, max_size=19)
        ),
    ),
    mask=st.lists(st.booleans(), min_size=1, max_size=19),
)
def test_full_width_spellings_hash_like_their_ascii_form(kind_and_value, mask):
    kind, value = kind_and_value
    variant = _full_width(value, mask)
    with override_settings(PII_ENCRYPTION_KEYS=[OLD_KEY]):
        assert pii.lookup_hash(kind, variant) == pii.lookup_hash(kind, value)
        assert pii.normalise(kind, variant) == value
        assert pii.is_ascii_canonical(kind, variant)


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (PiiKind.NATIONAL_ID, "١١٠١٠٥١٩٩٠٠١٠١٠٠٥٣"),  # Arabic-Indic digits: NFKC keeps them
        (PiiKind.PHONE, "१३८००००००००७"),  # Devanagari
        (PiiKind.BANK_CARD, "６２２２०२००००००००००००१३"),
    ],
)
def test_digits_of_other_scripts_are_not_canonical(kind, value):
    assert not pii.is_ascii_canonical(kind, value)
