"""The investor's portfolio from real distributions: exact figures computed independently,
expected payments, XIRR, allocation, one investment's cash flows, the annual statement (CSV
and PDF, the investor's own only), the API, query counts, and the dashboard's figures."""

import re
import zlib
from datetime import date
from decimal import Decimal as D

import pytest
import pyxirr
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import money
from core.errors import NotFound
from lending.portfolio import annual_statement, investment_cash_flows, portfolio_summary
from tests.lending.portfolios import AS_OF, investor_history

pytestmark = pytest.mark.django_db

FEE = D("0.10")  # ProductFactory's platform fee on interest


@pytest.fixture
def history(make_user, onboarding, product):
    return investor_history(make_user, onboarding, product)


def _shares(loan, numbers):
    """Independently of the distribution code: each repaid installment's principal and
    interest split by largest remainder over what each investment still has outstanding,
    the fee 10% of the interest share, half-even. {investment id: [(on, n, p, i, fee)]}."""
    investments = list(loan.investments.order_by("id"))
    outstanding = {i.pk: i.amount for i in investments}
    rows = {i.pk: [] for i in investments}
    for n in numbers:
        installment = loan.installments.get(number=n)
        weights = sorted(outstanding.items())
        p = money.allocate(installment.principal_amount, weights)
        i = money.allocate(installment.interest_amount, weights)
        for k in outstanding:
            rows[k].append((installment.due_on, n, p[k], i[k], money.quantize(i[k] * FEE)))
            outstanding[k] -= p[k]
    return rows, outstanding


def _mine(loan, investor):
    return loan.investments.get(investor=investor)


def _net(row):
    return row[2] + row[3] - row[4]


def test_portfolio_figures_are_exact(history):
    a = history.a
    rows1, left1 = _shares(history.l1, [1, 2, 3])
    rows2, left2 = _shares(history.l2, [1])
    mine = rows1[_mine(history.l1, a).pk] + rows2[_mine(history.l2, a).pk]
    p = portfolio_summary(a)
    assert p.as_of == AS_OF
    assert p.invested == D("9000.00") and p.reserved == D("0.00")
    assert p.received.principal == sum(r[2] for r in mine)
    assert p.received.interest == sum(r[3] for r in mine)
    assert p.received.fees == sum(r[4] for r in mine)
    assert p.received.penalty == D("0.00")
    assert p.received.net == sum(_net(r) for r in mine)
    assert p.received.earned == sum(r[3] - r[4] for r in mine)
    out1, out2 = left1[_mine(history.l1, a).pk], left2[_mine(history.l2, a).pk]
    assert p.outstanding == out1 + out2
    assert p.defaulted == out2
    assert p.losses == D("1000.00")
    # Figures pinned: loan 1's first three installments of 888.49 (principal 788.49,
    # 796.37, 804.34), 60% of them ours.
    assert [r[2] for r in rows1[_mine(history.l1, a).pk]] == [D("473.09"), D("477.82"), D("482.60")]
    assert out1 == D("4566.49")
    assert [(s.key, s.amount) for s in p.by_grade] == [("B", out1), ("C", out2)]
    assert [(s.key, s.amount, s.loans) for s in p.by_status] == [
        ("current", out1, 1),
        ("defaulted", out2, 1),
    ]
    assert sum(s.share for s in p.by_grade) == D("1.0000")
    assert p.loans_active == 2
    assert p.statement_years == [2026]


def test_expected_payments_are_shares_of_open_installments_pro_rata_to_the_stake(history):
    a, l1 = history.a, history.l1
    _, left = _shares(l1, [1, 2, 3])
    mine = _mine(l1, a).pk
    stake, total = left[mine], sum(left.values())
    p = portfolio_summary(a)
    # Only the repaying loan: nothing is expected from the defaulted or written-off one.
    assert {e.loan_id for e in p.expected} == {l1.pk}
    assert [e.installment_number for e in p.expected] == list(range(4, 13))
    for e in p.expected:
        installment = l1.installments.get(number=e.installment_number)
        assert e.due_on == installment.due_on
        assert e.principal == money.quantize(installment.principal_amount * stake / total)
        assert e.interest == money.quantize(installment.interest_amount * stake / total)
        assert e.fee == money.quantize(e.interest * FEE)
        assert not e.is_overdue
    fourth = p.expected[0]
    assert p.next_payment == (date(2026, 5, 15), fourth.net)
    assert (fourth.principal, fourth.interest, fourth.fee) == (D("487.43"), D("45.67"), D("4.57"))


def test_xirr_is_the_rate_of_the_actual_flows_with_principal_owed_at_par(history):
    a = history.a
    rows1, left1 = _shares(history.l1, [1, 2, 3])
    rows2, left2 = _shares(history.l2, [1])
    out1, out2 = left1[_mine(history.l1, a).pk], left2[_mine(history.l2, a).pk]
    dates = [date(2026, 1, 15), date(2026, 1, 20), date(2026, 2, 10)]
    amounts = [D("-6000.00"), D("-1000.00"), D("-2000.00")]
    for row in rows1[_mine(history.l1, a).pk] + rows2[_mine(history.l2, a).pk]:
        dates.append(row[0])
        amounts.append(_net(row))
    gross = pyxirr.xirr([*dates, AS_OF], [*amounts, out1 + out2 + D("1000.00")])
    net = pyxirr.xirr([*dates, AS_OF], [*amounts, out1])
    p = portfolio_summary(a)
    assert p.xirr == D(str(round(gross, 4))).quantize(D("0.0001"))
    assert p.xirr_net_of_losses == D(str(round(net, 4))).quantize(D("0.0001"))
    # Before losses the book earns about the loans' rate after fees; net of the 3,000 lost
    # or defaulted over three months, the rate is deeply negative.
    assert D("0.09") < p.xirr < D("0.13")
    assert p.xirr_net_of_losses < D("-0.5")


def test_investment_cash_flows_list_money_out_payouts_and_what_is_expected(history):
    a, l1 = history.a, history.l1
    investment = _mine(l1, a)
    rows, left = _shares(l1, [1, 2, 3])
    flows = investment_cash_flows(a, investment.pk)
    assert [(f.on, f.kind, f.amount) for f in flows.actual] == [
        (date(2026, 1, 15), "investment", D("-6000.00")),
        *[(r[0], "payout", _net(r)) for r in rows[investment.pk]],
    ]
    assert [(f.installments, f.principal, f.interest, f.fee) for f in flows.actual[1:]] == [
        (str(r[1]), r[2], r[3], r[4]) for r in rows[investment.pk]
    ]
    assert [f.installments for f in flows.expected] == [str(n) for n in range(4, 13)]
    assert flows.outstanding == left[investment.pk]
    assert flows.received.net == sum(_net(r) for r in rows[investment.pk])
    assert flows.xirr is not None and flows.xirr == flows.xirr_net_of_losses
    # The written-off loan: nothing expected, nothing outstanding, everything lost.
    lost = investment_cash_flows(a, _mine(history.l3, a).pk)
    assert [f.kind for f in lost.flows] == ["investment"]
    assert lost.outstanding == D("0.00") and lost.xirr_net_of_losses == D("-1.0000")
    with pytest.raises(NotFound):
        investment_cash_flows(history.others[0], investment.pk)


def test_cash_flow_page_and_api_are_the_investors_own(client, api_client, history):
    a, other = history.a, history.others[0]
    investment = _mine(history.l1, a)
    client.force_login(a)
    page = client.get(reverse("lending:investment-cash-flows", args=[investment.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert history.l1.reference in html and "-6,000.00" in html
    assert html.count('class="flow-payout"') == 3 and html.count('class="flow-expected"') == 9
    client.force_login(other)
    assert (
        client.get(reverse("lending:investment-cash-flows", args=[investment.pk])).status_code
        == 404
    )
    api_client.force_authenticate(other)
    response = api_client.get(f"/api/v1/portfolio/investments/{investment.pk}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    api_client.force_authenticate(a)
    body = api_client.get(f"/api/v1/portfolio/investments/{investment.pk}").json()
    assert body["amount"] == "6000.00" and body["outstanding_principal"] == "4566.49"
    assert [f["kind"] for f in body["flows"]] == ["investment"] + ["payout"] * 3 + ["expected"] * 9


def test_portfolio_api_gives_the_figures_as_strings(api_client, history):
    api_client.force_authenticate(history.a)
    body = api_client.get("/api/v1/portfolio").json()
    p = portfolio_summary(history.a)
    assert body["invested"] == "9000.00"
    assert body["outstanding_principal"] == f"{p.outstanding:.2f}"
    assert body["defaulted_principal"] == f"{p.defaulted:.2f}"
    assert body["losses"] == "1000.00"
    assert body["received"]["interest"] == f"{p.received.interest:.2f}"
    assert body["received"]["fees"] == f"{p.received.fees:.2f}"
    assert body["xirr"] == f"{p.xirr:.4f}"
    assert body["next_payment"] == {"due_on": "2026-05-15", "amount": f"{p.expected[0].net:.2f}"}
    assert [s["key"] for s in body["allocation_by_status"]] == ["current", "defaulted"]
    assert body["statement_years"] == [2026]


def test_statement_csv_lists_the_years_movements_exactly(client, history):
    a = history.a
    rows1, _ = _shares(history.l1, [1, 2, 3])
    rows2, _ = _shares(history.l2, [1])
    r1, r2 = rows1[_mine(history.l1, a).pk], rows2[_mine(history.l2, a).pk]
    ref1, ref2, ref3 = history.l1.reference, history.l2.reference, history.l3.reference

    def payout(ref, r):
        return f"{r[0]},payout,{ref},{r[1]},{r[2]},{r[3]},0.00,{r[4]},{_net(r)},CNY"

    client.force_login(a)
    response = client.get(reverse("lending:statement-csv", args=[2026]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="statement-2026.csv"' in response["Content-Disposition"]
    assert response.content.decode().splitlines() == [
        "date,type,loan,installments,principal,interest,penalty_interest,fee,amount,currency",
        f"2026-01-15,investment,{ref1},,0.00,0.00,0.00,0.00,-6000.00,CNY",
        f"2026-01-20,investment,{ref3},,0.00,0.00,0.00,0.00,-1000.00,CNY",
        f"2026-02-10,investment,{ref2},,0.00,0.00,0.00,0.00,-2000.00,CNY",
        payout(ref1, r1[0]),
        payout(ref2, r2[0]),
        payout(ref1, r1[1]),
        f"2026-04-14,loss,{ref3},,-1000.00,0.00,0.00,0.00,-1000.00,CNY",
        payout(ref1, r1[2]),
    ]
    statement = annual_statement(a, 2026)
    assert statement.invested == D("9000.00") and statement.losses == D("1000.00")
    assert statement.outstanding_at_end == portfolio_summary(a).outstanding


def _pdf_text(pdf: bytes) -> bytes:
    """The PDF's bytes with its compressed streams inflated (where the metadata lives)."""
    inflated = [pdf]
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            inflated.append(zlib.decompress(m.group(1)))
        except zlib.error:
            continue
    return b"".join(inflated)


def test_statement_pdf_is_a_pdf_of_the_year(client, history):
    client.force_login(history.a)
    response = client.get(reverse("lending:statement-pdf", args=[2026]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert b"(Annual statement 2026)" in _pdf_text(response.content)
    assert response["Cache-Control"] == "private, no-store"


def test_statement_is_downloadable_only_by_its_investor(client, make_user, onboarding, history):
    """A statement is the signed-in investor's own: a year in which they had no movement
    (another investor's year) is 404, and another investor's statement never shows ours."""
    stranger = onboarding.investor(make_user("investor"))
    client.force_login(stranger)
    for name in ("lending:statement-csv", "lending:statement-pdf"):
        assert client.get(reverse(name, args=[2026])).status_code == 404
    client.force_login(history.others[0])
    assert client.get(reverse("lending:statement-csv", args=[2025])).status_code == 404
    assert client.get(reverse("lending:statement-csv", args=[1999])).status_code == 404
    theirs = client.get(reverse("lending:statement-csv", args=[2026])).content.decode()
    assert ",-4000.00,CNY" in theirs and history.l3.reference not in theirs
    assert ",-6000.00," not in theirs
    client.force_login(history.l1.borrower)
    assert client.get(reverse("lending:statement-csv", args=[2026])).status_code == 403
    client.logout()
    assert client.get(reverse("lending:statement-pdf", args=[2026])).status_code == 302


def _queries(run) -> int:
    with CaptureQueriesContext(connection) as ctx:
        run()
    return len(ctx.captured_queries)


def test_portfolio_reads_take_the_same_queries_for_one_loan_or_many(client, history):
    """No N+1: `a` holds three loans with payouts in two, others[0] one loan."""
    a, one = history.a, history.others[0]
    assert _queries(lambda: portfolio_summary(a)) == _queries(lambda: portfolio_summary(one)) == 6
    assert _queries(lambda: annual_statement(a, 2026)) == 6
    cash = _queries(lambda: investment_cash_flows(a, _mine(history.l1, a).pk))
    assert cash == _queries(lambda: investment_cash_flows(one, _mine(history.l1, one).pk)) == 8
    page = reverse("lending:investment-list")
    client.force_login(a)
    many = _queries(lambda: client.get(page))
    client.force_login(one)
    assert _queries(lambda: client.get(page)) == many


def test_portfolio_page_shows_the_figures_and_charts(client, history):
    p = portfolio_summary(history.a)
    client.force_login(history.a)
    html = client.get(reverse("lending:investment-list")).content.decode()
    assert f'data-figure="outstanding">{p.outstanding:,.2f}' in html
    assert 'data-figure="losses">1,000.00' in html
    assert f'data-figure="xirr">{p.xirr * 100:.2f}%' in html
    assert html.count("<svg") == 2 and "Grade C" in html and "Defaulted" in html
    assert "<script" not in html.split("<main", 1)[1]
    assert reverse("lending:statement-pdf", args=[2026]) in html
    assert f"{p.expected[0].net:,.2f}" in html


def test_dashboard_shows_the_investors_money(client, history):
    p = portfolio_summary(history.a)
    client.force_login(history.a)
    html = client.get("/dashboard/").content.decode()
    assert 'data-block="investor-money"' in html
    assert 'data-figure="invested">9,000.00' in html
    assert f'data-figure="outstanding">{p.outstanding:,.2f}' in html
    assert f'data-figure="earned">{p.received.earned:,.2f}' in html
    assert f"{p.expected[0].net:,.2f}" in html and "2026-05-15" in html
