"""Enterprise registries: the interface the enterprise onboarding service calls, and the
sandbox registry.

A real registry (the market regulator's credit publicity system, or a data vendor's
"four-element" check: company name, credit code, legal representative's name and ID)
answers whether the enterprise exists, is still in business, and whom it names as legal
representative. The registry is chosen by settings.ENTERPRISE_REGISTRY (a dotted path).

The sandbox answers offline and deterministically from the credit code itself, so demos
and tests know the outcome in advance:
- a code whose organisation-code part (characters 9-17) starts with `D` belongs to a
  deregistered enterprise (注销), one starting with `R` to a revoked licence (吊销);
- codes listed in settings.ENTERPRISE_REGISTRY_ABNORMAL_CODES are on the list of
  enterprises with abnormal operations (经营异常名录);
- every other well-formed code is an enterprise in business (存续), with the legal
  representative as submitted.
"""

import re
import uuid
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from accounts import credit_code


@dataclass(frozen=True)
class EnterpriseSubmission:
    company_name: str
    credit_code: str
    legal_representative_name: str
    legal_representative_id: str
    registered_address: str


@dataclass(frozen=True)
class EnterpriseDecision:
    passed: bool
    reasons: tuple[str, ...] = ()
    reference: str = ""


class EnterpriseRegistry(Protocol):
    name: str

    def verify(self, submission: EnterpriseSubmission) -> EnterpriseDecision:
        """Check the enterprise exists, trades and is represented as claimed; never raise."""


# At least one letter (of any script); then letters, digits and the punctuation company
# names really hold: brackets (full-width ones arrive NFKC-folded to these), middle dot,
# ampersand, comma, period, apostrophe, hyphen and space.
_COMPANY_NAME_RE = re.compile(r"^(?=.*[^\W\d_])[\w()·&,.' -]+$")


class SandboxEnterpriseRegistry:
    """Offline answers with the same outcomes a real registry returns."""

    name = "sandbox"

    def verify(self, submission: EnterpriseSubmission) -> EnterpriseDecision:
        reasons: list[str] = []
        name = submission.company_name
        if not (4 <= len(name) <= 100) or not _COMPANY_NAME_RE.match(name):
            reasons.append("invalid_company_name")
        code = credit_code.normalise(submission.credit_code)
        refusal = credit_code.refusal(code)
        if refusal:
            reasons.append(refusal)
        else:
            organisation = code[8:17]
            if organisation.startswith("D"):
                reasons.append("enterprise_deregistered")
            elif organisation.startswith("R"):
                reasons.append("enterprise_revoked")
            abnormal = {
                credit_code.normalise(c) for c in settings.ENTERPRISE_REGISTRY_ABNORMAL_CODES
            }
            if code in abnormal:
                reasons.append("enterprise_abnormal_operations")
        return EnterpriseDecision(
            passed=not reasons,
            reasons=tuple(dict.fromkeys(reasons)),
            reference=f"sandbox-{uuid.uuid4().hex[:16]}",
        )


def enterprise_registry() -> EnterpriseRegistry:
    """The configured registry (settings.ENTERPRISE_REGISTRY, sandbox by default)."""
    return import_string(settings.ENTERPRISE_REGISTRY)()


# --- Sandbox test data: well-formed codes for demos and tests, never a real firm's ------

# New organisation codes start "MA"; "D" and "R" are the sandbox's status markers.
SANDBOX_STATUS_PREFIXES = {"in_business": "MA", "deregistered": "DA", "revoked": "RA"}


def sandbox_credit_code(
    sequence: int, *, status: str = "in_business", division: str = "440300"
) -> str:
    """A credit code with a valid check character whose sandbox registry answer is `status`
    (`in_business`, `deregistered` or `revoked`); enterprise type 91."""
    organisation = f"{SANDBOX_STATUS_PREFIXES[status]}{sequence % 10**7:07d}"
    first17 = f"91{division}{organisation}"
    return first17 + credit_code.check_character(first17)
