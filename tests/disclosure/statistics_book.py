"""A small book of loans whose platform statistics are known exactly (worked out by hand in
EXPECTED below), for tests/disclosure/test_statistics*.py.

As of 2026-06-30, for the month of June 2026:
- twelve borrowers B0..B11 each have a repaying loan R_i of 1,000 x (i + 1), one installment
  due in August; R0..R5 disbursed in May, R6..R11 in June; R_i is funded by lender L_i, except
  R11 (8,000 from L11 and 4,000 from L10);
- O91 (B1, 5,000, lender L0): oldest unpaid installment due 2026-03-31, 91 days overdue;
- O90 (B2, 4,000, lender L1): due 2026-04-01, exactly 90 days overdue (not "over 90");
- O5 (B3, 3,000, lender L2): first installment paid, the second (2,000, 500 of it paid) 5
  days overdue;
- D (B6, 2,500, lender L5): defaulted, due 2026-01-15 (166 days);
- C (B4, 2,000, lender L3): closed; W (B5, 1,500, lenders L4 1,000 and L12 500): written off;
- F (B7, not disbursed) and LATE (B8, disbursed 2026-07-02, after the as-of date);
- B11 is the platform's related party.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal as D

from custody.models import ReconciliationRun
from disclosure.models import RelatedParty
from lending.models import Installment, Investment, Loan
from tests.lending.factories import LoanFactory, ProductFactory

AS_OF = date(2026, 6, 30)
MAY, JUNE = date(2026, 5, 15), date(2026, 6, 15)

EXPECTED = {
    "loans_cumulative_amount": D("96000.00"),
    "loans_cumulative_count": 18,
    "loans_period_amount": D("57000.00"),
    "loans_period_count": 6,
    "outstanding_principal_amount": D("91000.00"),
    "outstanding_count": 16,
    "outstanding_interest_amount": D("1375.00"),
    "lenders_cumulative": 13,
    "lenders_period": 6,
    "lenders_current": 12,
    "borrowers_cumulative": 12,
    "borrowers_period": 6,
    "borrowers_current": 12,
    # (91,000 - B0's 1,000 - B4's 5,000) / 91,000 and 12,000 / 91,000.
    "top10_borrowers_share": D("0.9341"),
    "largest_borrower_share": D("0.1319"),
    # (91,000 - L3's 4,000 - L2's 4,500) / 91,000 and L10's 15,000 / 91,000.
    "top10_lenders_share": D("0.9066"),
    "largest_lender_share": D("0.1648"),
    "related_party_amount": D("12000.00"),
    "related_party_count": 1,
    "overdue_amount": D("13000.00"),
    "overdue_count": 4,
    "overdue_90_amount": D("7500.00"),
    "overdue_90_count": 2,
    "compensation_amount": D("0.00"),
    "compensation_count": 0,
    "overdue_rate_count": D("0.2500"),
    "overdue_rate_amount": D("0.1429"),
    "average_per_lender_amount": D("7384.62"),  # 96,000 / 13
    "average_per_borrower_amount": D("8000.00"),  # 96,000 / 12
}


@dataclass
class Book:
    loans: dict[str, Loan]
    borrowers: list
    lenders: list

    def refs(self, *names: str) -> set[str]:
        return {self.loans[name].reference for name in names}


def _loan(product, borrower, amount, *, status, disbursed_on, installments, holders, name):
    loan = LoanFactory(
        product=product,
        borrower=borrower,
        amount=D(amount),
        funded_amount=D(amount),
        status=status,
        listed_on=date(2025, 10, 1),
        funding_deadline_on=date(2025, 10, 8),
        disbursed_on=disbursed_on,
        reference=f"LNSTAT-{name}",
    )
    for number, (due_on, principal, interest, paid_principal, paid_interest, state) in enumerate(
        installments, start=1
    ):
        Installment.objects.create(
            loan=loan,
            number=number,
            due_on=due_on,
            principal_amount=D(principal),
            interest_amount=D(interest),
            paid_principal_amount=D(paid_principal),
            paid_interest_amount=D(paid_interest),
            status=state,
            paid_on=due_on if state == Installment.Status.PAID else None,
        )
    active = Investment.Status.ACTIVE if disbursed_on else Investment.Status.RESERVED
    for lender, held, received in holders:
        Investment.objects.create(
            loan=loan,
            investor=lender,
            amount=D(held),
            principal_received_amount=D(received),
            status=active,
            idempotency_key=f"stat-{name}-{lender.pk}",
        )
    return loan


def build_book(make_user, *, reconciled: bool = True) -> Book:
    product = ProductFactory()
    borrowers = [make_user("borrower") for _ in range(12)]
    lenders = [make_user("investor") for _ in range(13)]
    S, OV, PAID = Installment.Status.SCHEDULED, Installment.Status.OVERDUE, Installment.Status.PAID
    REPAYING = Loan.Status.REPAYING
    aug = date(2026, 8, 1)
    loans = {}
    for i in range(12):
        amount = 1000 * (i + 1)
        holders = [(lenders[i], amount, 0)]
        if i == 11:
            holders = [(lenders[11], 8000, 0), (lenders[10], 4000, 0)]
        loans[f"R{i}"] = _loan(
            product,
            borrowers[i],
            amount,
            status=REPAYING,
            disbursed_on=MAY if i < 6 else JUNE,
            installments=[(aug, amount, 100, 0, 0, S)],
            holders=holders,
            name=f"R{i}",
        )
    jan = date(2026, 1, 10)
    loans["O91"] = _loan(
        product, borrowers[1], 5000, status=REPAYING, disbursed_on=jan, name="O91",
        installments=[(date(2026, 3, 31), 2000, 50, 0, 0, OV), (date(2026, 4, 30), 3000, 50, 0, 0, OV)],
        holders=[(lenders[0], 5000, 0)],
    )  # fmt: skip
    loans["O90"] = _loan(
        product, borrowers[2], 4000, status=REPAYING, disbursed_on=jan, name="O90",
        installments=[(date(2026, 4, 1), 4000, 40, 0, 0, OV)],
        holders=[(lenders[1], 4000, 0)],
    )  # fmt: skip
    loans["O5"] = _loan(
        product, borrowers[3], 3000, status=REPAYING, disbursed_on=date(2026, 5, 1), name="O5",
        installments=[(date(2026, 6, 1), 1000, 10, 1000, 10, PAID), (date(2026, 6, 25), 2000, 10, 500, 0, OV)],
        holders=[(lenders[2], 3000, 1500)],
    )  # fmt: skip
    loans["D"] = _loan(
        product, borrowers[6], 2500, status=Loan.Status.DEFAULTED, disbursed_on=date(2025, 12, 15),
        name="D", installments=[(date(2026, 1, 15), 2500, 25, 0, 0, OV)],
        holders=[(lenders[5], 2500, 0)],
    )  # fmt: skip
    loans["C"] = _loan(
        product, borrowers[4], 2000, status=Loan.Status.CLOSED, disbursed_on=date(2025, 12, 1),
        name="C", installments=[(date(2026, 1, 1), 2000, 20, 2000, 20, PAID)],
        holders=[(lenders[3], 2000, 2000)],
    )  # fmt: skip
    loans["W"] = _loan(
        product, borrowers[5], 1500, status=Loan.Status.WRITTEN_OFF, disbursed_on=date(2025, 11, 1),
        name="W", installments=[(date(2025, 12, 1), 1500, 15, 0, 0, Installment.Status.WRITTEN_OFF)],
        holders=[(lenders[4], 1000, 0), (lenders[12], 500, 0)],
    )  # fmt: skip
    loans["F"] = _loan(
        product, borrowers[7], 999, status=Loan.Status.FUNDED, disbursed_on=None, name="F",
        installments=[], holders=[(lenders[6], 999, 0)],
    )  # fmt: skip
    loans["LATE"] = _loan(
        product, borrowers[8], 800, status=REPAYING, disbursed_on=date(2026, 7, 2), name="LATE",
        installments=[(aug, 800, 8, 0, 0, S)], holders=[(lenders[6], 800, 0)],
    )  # fmt: skip
    staff = make_user("reviewer")
    RelatedParty.objects.create(
        borrower=borrowers[11], relation="Director's brother", marked_by=staff
    )
    if reconciled:
        ReconciliationRun.objects.create(statement_on=AS_OF)
    return Book(loans=loans, borrowers=borrowers, lenders=lenders)


# The loans behind each figure's set, by name in the book.
R = [f"R{i}" for i in range(12)]
EXPECTED_SETS = {
    "book": {*R, "O91", "O90", "O5", "D", "C", "W"},
    "period": set(R[6:]),
    "outstanding": {*R, "O91", "O90", "O5", "D"},
    "top10_borrowers": {"R1", "O91", "R2", "O90", "R3", "O5", "R5", "R6", "D", *R[7:]},
    "largest_borrower": {"R11"},
    "top10_lenders": {"R0", "O91", "R1", "O90", "R4", "R5", "D", *R[6:]},
    "largest_lender": {"R10", "R11"},
    "related_party": {"R11"},
    "overdue": {"O91", "O90", "O5", "D"},
    "overdue_90": {"O91", "D"},
    "compensation": set(),
}
