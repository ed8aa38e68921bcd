"""Credit bureau adapter. A bureau is asked about a person by their national ID and about a
company by its unified social credit code, so the adapter takes them in clear (the review
reads them for the inquiry and keeps nothing).

The sandbox bureau derives a stable report from the identifier itself, so the same person
or company always gets the same report in demos and tests, whatever the platform's PII
keys: a report derived from the platform's keyed hash changed at every key rotation."""

import hashlib
from dataclasses import asdict, dataclass
from decimal import Decimal

from core.policies import DECLINED_GRADE, LOAN_GRADES


@dataclass(frozen=True)
class BureauReport:
    score: int
    overdue_records_6m: int
    other_platform_borrowing: Decimal
    other_platform_count: int
    bureau: str = "sandbox"
    subject: str = "individual"  # individual | enterprise
    # Enterprise reports only: court judgments against the company in the last two years,
    # and its tax credit rating (A, B, M, C, D; A is best).
    court_judgments_2y: int = 0
    tax_credit_rating: str = ""

    def as_json(self) -> dict:
        data = asdict(self)
        data["other_platform_borrowing"] = str(self.other_platform_borrowing)
        return data


def _score(raw: int, overdue: int) -> int:
    """A score that agrees with the record, as a real bureau's does: with one overdue record
    in six months it stays below 750 (grade A), and each further one lowers the ceiling by 50,
    so a grade-A borrower never shows late payments."""
    if not overdue:
        return raw
    return max(480, min(raw, 749 - 50 * (overdue - 1)))


class SandboxCreditBureau:
    """Deterministic reports: score 480-849, mostly no overdue records; overdue records
    cap the score (see _score)."""

    name = "sandbox"

    def report(self, *, national_id: str) -> BureauReport:
        """The person's report; `national_id` in its canonical form (accounts.pii)."""
        digest = hashlib.sha256(f"sandbox-bureau|{national_id}".encode()).digest()
        overdue_roll = digest[2] % 10
        overdue = 0 if overdue_roll < 7 else overdue_roll - 6
        score = _score(480 + int.from_bytes(digest[0:2], "big") % 370, overdue)
        platforms = digest[3] % 3
        borrowing = Decimal(platforms * (int.from_bytes(digest[4:6], "big") % 50) * 1000)
        return BureauReport(
            score=score,
            overdue_records_6m=overdue,
            other_platform_borrowing=borrowing.quantize(Decimal("0.01")),
            other_platform_count=platforms,
        )

    def enterprise_report(self, *, credit_code: str) -> BureauReport:
        """The company's report: same score range; other-platform borrowing in enterprise
        sizes (up to about 2,900,000 over at most three platforms)."""
        digest = hashlib.sha256(f"sandbox-bureau-enterprise|{credit_code}".encode()).digest()
        overdue_roll = digest[2] % 10
        overdue = 0 if overdue_roll < 7 else overdue_roll - 6
        score = _score(480 + int.from_bytes(digest[0:2], "big") % 370, overdue)
        platforms = digest[3] % 3
        borrowing = Decimal(platforms * (int.from_bytes(digest[4:6], "big") % 50) * 20000)
        judgments = max(0, digest[6] % 8 - 5)
        return BureauReport(
            score=score,
            overdue_records_6m=overdue,
            other_platform_borrowing=borrowing.quantize(Decimal("0.01")),
            other_platform_count=platforms,
            subject="enterprise",
            court_judgments_2y=judgments,
            tax_credit_rating=next(r for floor, r in _TAX_RATINGS if score >= floor),
        )


# The sandbox's tax credit rating follows the score: the lowest score of each rating.
_TAX_RATINGS = ((750, "A"), (650, "B"), (600, "M"), (550, "C"), (0, "D"))


def credit_bureau() -> SandboxCreditBureau:
    """The configured bureau (only the sandbox exists yet)."""
    return SandboxCreditBureau()


# Score bands: the lowest score of each grade; below the last band is HR (declined).
GRADE_BANDS = tuple(zip((750, 700, 650, 600, 550), LOAN_GRADES, strict=True))


def grade_for_score(score: int) -> str:
    for floor, grade in GRADE_BANDS:
        if score >= floor:
            return grade
    return DECLINED_GRADE
