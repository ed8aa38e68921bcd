"""Helpers for the event-notice tests: a notice taken to publication by two staff members,
and a book of investors holding tickets."""

from datetime import date

from disclosure.models import EventNotice
from disclosure.services.notices import notice_approve, notice_draft_save, notice_submit
from lending.models import Investment
from tests.lending.factories import InvestmentFactory, LoanFactory


def drafted(maker, **overrides) -> EventNotice:
    fields = {
        "title": "Our custodian bank changes on 1 March",
        "body": "From 1 March 2026 client money is held by Example Bank.\n\nNothing changes "
        "for you: your sub-account moves with its balance.",
        "category": EventNotice.Category.CUSTODIAN_CHANGE,
        "effective_on": date(2026, 3, 1),
    }
    fields.update(overrides)
    return notice_draft_save(actor=maker, **fields)


def published(maker, checker, **overrides) -> EventNotice:
    notice = drafted(maker, **overrides)
    notice_submit(notice_id=notice.pk, maker=maker)
    return notice_approve(notice_id=notice.pk, checker=checker)


def investors_book(make_user, product, *, count: int) -> dict:
    """`count` investors holding tickets (every third holds two, in two loans), one whose
    only ticket was cancelled, and one user with no investment at all."""
    loans = [LoanFactory(borrower=make_user("borrower"), product=product) for _ in range(2)]
    holders = []
    for i in range(count):
        investor = make_user("investor")
        status = Investment.Status.ACTIVE if i % 2 else Investment.Status.RESERVED
        InvestmentFactory(loan=loans[0], investor=investor, status=status)
        if i % 3 == 0:
            InvestmentFactory(loan=loans[1], investor=investor, status=status)
        holders.append(investor)
    cancelled = make_user("investor")
    InvestmentFactory(loan=loans[0], investor=cancelled, status=Investment.Status.CANCELLED)
    return {"holders": holders, "cancelled": cancelled, "nobody": make_user("investor")}
