"""Investor suitability maths: risk levels, grades and limits, by table and by property."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import policies
from core.policies import (
    RISK_KEYS,
    SuitabilityAnswers,
    SuitabilityRefused,
    assess_suitability,
    grade_allowed,
    investment_limits,
    missing_acknowledgements,
    risk_level,
)

CAP = Decimal("0.10")
PER_LOAN = Decimal("0.10")


def answers(**overrides) -> SuitabilityAnswers:
    values = {
        "risk_tolerance": "medium",
        "investment_experience": "moderate",
        "risks_acknowledged": frozenset(RISK_KEYS),
        "annual_income": Decimal("240000.00"),
        "net_investible_assets": Decimal("500000.00"),
        "investor_type": "retail",
    }
    values.update(overrides)
    return SuitabilityAnswers(**values)


@pytest.mark.parametrize(
    ("tolerance", "experience", "investor_type", "expected"),
    [
        ("very_low", "extensive", "sophisticated", "conservative"),
        ("low", "extensive", "retail", "moderate"),
        ("medium", "moderate", "retail", "balanced"),
        ("high", "moderate", "retail", "growth"),
        ("very_high", "extensive", "retail", "growth"),  # retail stops at growth
        ("very_high", "extensive", "sophisticated", "aggressive"),
        ("very_high", "none", "sophisticated", "moderate"),  # no experience caps boldness
        ("high", "limited", "retail", "balanced"),
        ("very_high", "moderate", "sophisticated", "growth"),
    ],
)
def test_risk_level_is_lowest_of_tolerance_experience_and_type(
    tolerance, experience, investor_type, expected
):
    assert (
        risk_level(
            risk_tolerance=tolerance, investment_experience=experience, investor_type=investor_type
        )
        == expected
    )


@pytest.mark.parametrize(
    ("level", "grade"),
    [
        ("conservative", "A"),
        ("moderate", "B"),
        ("balanced", "C"),
        ("growth", "D"),
        ("aggressive", "E"),
    ],
)
def test_each_risk_level_maps_to_its_highest_loan_grade(level, grade):
    assert policies.MAX_LOAN_GRADE[level] == grade


@pytest.mark.parametrize(
    ("investor_type", "assets", "per_loan", "total"),
    [
        ("retail", "500000.00", "5000.00", "50000.00"),
        ("retail", "12345.67", "123.45", "1234.56"),  # rounds down, never up
        ("retail", "0.00", "0.00", "0.00"),
        ("retail", "0.09", "0.00", "0.00"),
        ("sophisticated", "3000000.00", "300000.00", "3000000.00"),
    ],
)
def test_investment_limits_table(investor_type, assets, per_loan, total):
    assert investment_limits(
        investor_type=investor_type,
        net_investible_assets=Decimal(assets),
        retail_cap_share=CAP,
        per_loan_share=PER_LOAN,
    ) == (Decimal(per_loan), Decimal(total))


def test_assess_suitability_for_a_retail_investor():
    result = assess_suitability(answers(), retail_cap_share=CAP, per_loan_share=PER_LOAN)
    assert result == policies.Suitability(
        risk_level="balanced",
        max_loan_grade="C",
        per_loan_limit=Decimal("5000.00"),
        total_limit=Decimal("50000.00"),
    )


def test_assess_suitability_refuses_unacknowledged_risks_and_names_them():
    acknowledged = frozenset(RISK_KEYS) - {"tax", "fraud"}
    with pytest.raises(SuitabilityRefused) as refused:
        assess_suitability(
            answers(risks_acknowledged=acknowledged), retail_cap_share=CAP, per_loan_share=PER_LOAN
        )
    assert refused.value.code == "risks_not_acknowledged"
    assert "fraud, tax" in refused.value.message
    assert missing_acknowledgements(acknowledged) == ["fraud", "tax"]


def test_there_are_exactly_ten_distinct_risks():
    assert len(RISK_KEYS) == len(set(RISK_KEYS)) == 10


@pytest.mark.parametrize(
    ("income", "assets", "ok"),
    [
        ("499999.99", "2999999.99", False),
        ("500000.00", "0.00", True),
        ("0.00", "3000000.00", True),
    ],
)
def test_sophisticated_needs_income_or_assets_threshold(income, assets, ok):
    submitted = answers(
        investor_type="sophisticated",
        annual_income=Decimal(income),
        net_investible_assets=Decimal(assets),
    )
    if ok:
        assert assess_suitability(submitted, retail_cap_share=CAP, per_loan_share=PER_LOAN)
    else:
        with pytest.raises(SuitabilityRefused) as refused:
            assess_suitability(submitted, retail_cap_share=CAP, per_loan_share=PER_LOAN)
        assert refused.value.code == "sophisticated_not_qualified"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("risk_tolerance", "reckless", "invalid_answer"),
        ("investment_experience", "guru", "invalid_answer"),
        ("investor_type", "whale", "invalid_answer"),
        ("annual_income", Decimal("-1"), "invalid_amount"),
    ],
)
def test_assess_suitability_refuses_unknown_answers(field, value, code):
    with pytest.raises(SuitabilityRefused) as refused:
        assess_suitability(answers(**{field: value}), retail_cap_share=CAP, per_loan_share=PER_LOAN)
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("max_grade", "grade", "allowed"),
    [("A", "A", True), ("A", "B", False), ("C", "B", True), ("C", "D", False), ("E", "E", True)],
)
def test_grade_allowed(max_grade, grade, allowed):
    assert grade_allowed(max_loan_grade=max_grade, grade=grade) is allowed


money = st.decimals(min_value=0, max_value=Decimal("999999999.99"), places=2)


@given(
    assets=money,
    income=money,
    tolerance=st.sampled_from(policies.RISK_TOLERANCES),
    experience=st.sampled_from(sorted(policies.INVESTMENT_EXPERIENCE_CAP)),
)
def test_retail_limits_never_exceed_the_cap_share_and_per_loan_within_total(
    assets, income, tolerance, experience
):
    result = assess_suitability(
        answers(
            annual_income=income,
            net_investible_assets=assets,
            risk_tolerance=tolerance,
            investment_experience=experience,
        ),
        retail_cap_share=CAP,
        per_loan_share=PER_LOAN,
    )
    assert Decimal(0) <= result.total_limit <= assets * CAP
    assert assets * CAP - result.total_limit < Decimal("0.01")
    assert Decimal(0) <= result.per_loan_limit <= result.total_limit
    assert result.total_limit == result.total_limit.quantize(Decimal("0.01"))
    assert result.risk_level != "aggressive"
    assert result.max_loan_grade == policies.MAX_LOAN_GRADE[result.risk_level]


@given(
    tolerance=st.sampled_from(policies.RISK_TOLERANCES),
    experience=st.sampled_from(sorted(policies.INVESTMENT_EXPERIENCE_CAP)),
    investor_type=st.sampled_from(policies.INVESTOR_TYPES),
)
def test_more_tolerance_never_lowers_the_risk_level(tolerance, experience, investor_type):
    rank = policies.RISK_LEVELS.index
    index = policies.RISK_TOLERANCES.index(tolerance)
    for bolder in policies.RISK_TOLERANCES[index:]:
        assert rank(
            risk_level(
                risk_tolerance=bolder, investment_experience=experience, investor_type=investor_type
            )
        ) >= rank(
            risk_level(
                risk_tolerance=tolerance,
                investment_experience=experience,
                investor_type=investor_type,
            )
        )
