"""The unified social credit code (GB 32100-2015): known codes, corruptions, the sandbox
registry's deterministic answers, and the masks enterprise facts are shown with."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc

from accounts import credit_code
from accounts.adapters.enterprise_registry import (
    EnterpriseSubmission,
    SandboxEnterpriseRegistry,
    sandbox_credit_code,
)
from accounts.pii import PiiKind, mask

# Published on business licences and in the national enterprise credit publicity system.
KNOWN_VALID = [
    "91110000600037341L",  # GB 32100 worked example (python-stdnum's doctest)
    "914403001922038216",  # a Shenzhen company limited by shares
    "9144030071526726XG",  # a Shenzhen company, letters in the organisation code and check
    "91330100716105852F",  # a Hangzhou company
]


@pytest.mark.parametrize("code", KNOWN_VALID)
def test_known_codes_are_valid(code):
    assert credit_code.refusal(code) is None
    assert credit_code.check_character(code[:17]) == code[17]
    assert credit_code.is_market_entity(code)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91110000600037341M", "invalid_credit_code_checksum"),  # wrong check character
        ("914403001922038217", "invalid_credit_code_checksum"),
        ("9144030071526726XF", "invalid_credit_code_checksum"),
        ("91330100716105853F", "invalid_credit_code_checksum"),  # one body character changed
        ("91110000600073341L", "invalid_credit_code_checksum"),  # two characters swapped
        ("19110000600037341L", "invalid_credit_code_checksum"),  # authority and type swapped
        ("91110000600037341", "invalid_credit_code"),  # 17 characters
        ("91110000600037341LL", "invalid_credit_code"),  # 19 characters
        ("91110000600O37341L", "invalid_credit_code"),  # letter O is not in the alphabet
        ("91110000600I37341L", "invalid_credit_code"),  # nor I
        ("91110000600S37341L", "invalid_credit_code"),  # nor S
        ("9111000060003734ZL", "invalid_credit_code"),  # nor Z
        ("911A0000600037341L", "invalid_credit_code"),  # division must be digits
        ("0111000060003734 1L", "invalid_credit_code"),  # authority 0 does not exist
        ("91110000600037341\u0661", "invalid_credit_code"),  # Arabic-Indic digit
        ("", "invalid_credit_code"),
    ],
)
def test_corrupted_codes_are_refused_with_a_reason(code, reason):
    assert credit_code.refusal(code) == reason
    assert not credit_code.is_valid(code)


@pytest.mark.parametrize(
    "typed",
    [
        "91110000600037341l",
        " 9111 0000 6000 3734 1L ",
        "9111-0000-600037341L",
        "".join(chr(ord(c) + 0xFEE0) for c in "91110000600037341L"),  # full-width,
    ],
)
def test_typing_variants_normalise_to_the_code(typed):
    assert credit_code.normalise(typed) == "91110000600037341L"
    assert credit_code.is_valid(typed)


def test_a_public_institution_code_is_valid_but_not_a_market_entity():
    first17 = "12100000400000012"  # authority 1: a public institution (事业单位)
    code = first17 + credit_code.check_character(first17)
    assert credit_code.is_valid(code)
    assert not credit_code.is_market_entity(code)


_BODY = st.text(alphabet=credit_code.ALPHABET, min_size=9, max_size=9)


@given(division=st.text(alphabet="0123456789", min_size=6, max_size=6), body=_BODY)
def test_generated_codes_agree_with_python_stdnum(division, body):
    first17 = f"91{division}{body}"
    code = first17 + credit_code.check_character(first17)
    assert credit_code.is_valid(code)
    assert uscc.is_valid(code)


@given(
    body=_BODY,
    position=st.integers(min_value=8, max_value=17),
    replacement=st.sampled_from(credit_code.ALPHABET),
)
def test_any_single_character_change_is_detected(body, position, replacement):
    first17 = f"91440300{body}"
    code = first17 + credit_code.check_character(first17)
    changed = code[:position] + replacement + code[position + 1 :]
    if changed != code:
        # 31 is prime and no weight is a multiple of it: one substitution always shows.
        assert credit_code.refusal(changed) == "invalid_credit_code_checksum"


# --- The sandbox registry --------------------------------------------------------------


def submission(code: str, **overrides) -> EnterpriseSubmission:
    data = {
        "company_name": "深圳湾科技有限公司",
        "credit_code": code,
        "legal_representative_name": "王小明",
        "legal_representative_id": "110105199001010010",
        "registered_address": "广东省深圳市南山区科苑路15号",
    }
    data.update(overrides)
    return EnterpriseSubmission(**data)


@pytest.mark.parametrize(
    ("status", "reasons"),
    [
        ("in_business", ()),
        ("deregistered", ("enterprise_deregistered",)),
        ("revoked", ("enterprise_revoked",)),
    ],
)
def test_sandbox_registry_answers_from_the_code(status, reasons):
    code = sandbox_credit_code(7, status=status)
    assert credit_code.is_valid(code) and uscc.is_valid(code)
    decision = SandboxEnterpriseRegistry().verify(submission(code))
    assert decision.passed is (not reasons)
    assert decision.reasons == reasons
    assert decision.reference.startswith("sandbox-")


def test_sandbox_registry_lists_abnormal_operations(settings):
    code = sandbox_credit_code(8)
    settings.ENTERPRISE_REGISTRY_ABNORMAL_CODES = [code.lower()]
    decision = SandboxEnterpriseRegistry().verify(submission(code))
    assert decision.reasons == ("enterprise_abnormal_operations",)


@pytest.mark.parametrize("name", ["1234", "深圳", "ACME<script>", ""])
def test_sandbox_registry_refuses_an_implausible_company_name(name):
    decision = SandboxEnterpriseRegistry().verify(
        submission(sandbox_credit_code(9), company_name=name)
    )
    assert decision.reasons == ("invalid_company_name",)


# --- Masks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "masked"),
    [
        (PiiKind.COMPANY_NAME, "深圳湾科技有限公司", "深圳***有限公司"),
        (PiiKind.COMPANY_NAME, "华为技术股份有限公司", "华为**股份有限公司"),
        (PiiKind.COMPANY_NAME, "Shenzhen Bay Tech Co., Ltd.", "Sh******** Co., Ltd."),
        (PiiKind.COMPANY_NAME, "小店", "小店**"),
        (PiiKind.CREDIT_CODE, "91440300 19220382-16", "9144**********8216"),
        (PiiKind.ADDRESS, "广东省深圳市南山区科苑路15号", "广东省深圳市****"),
    ],
)
def test_enterprise_masks(kind, value, masked):
    assert mask(kind, value) == masked
