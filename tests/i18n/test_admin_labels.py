"""An ops user reading the admin in Chinese sees Chinese column headers, field labels, model
names and breadcrumbs, also where the model names no label of its own (core.labels)."""

import re
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.urls import reverse

from lending.models import Installment
from tests.lending.factories import LoanFactory

pytestmark = pytest.mark.django_db

ZH = "zh-CN,zh;q=0.9,en;q=0.5"


def _headers(html: str) -> list[str]:
    """The changelist's column headers, as text."""
    cells = re.findall(r'<th scope="col" class="[^"]*column-[^"]*">(.*?)</th>', html, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells]


@pytest.fixture
def ops_client(client, make_user):
    """Operations staff who chose Chinese (the language cookie)."""
    client.force_login(make_user("operations"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    return client


@pytest.fixture
def compliance_client(client, make_user):
    """Compliance staff (who read every lending model) who chose Chinese."""
    client.force_login(make_user("compliance"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    return client


def test_the_loan_list_reads_in_chinese(ops_client, make_user, product):
    LoanFactory(borrower=make_user("borrower"), product=product)
    page = ops_client.get(reverse("admin:lending_loan_changelist"))
    assert page.status_code == 200 and page["Content-Language"] == "zh-hans"
    headers = _headers(page.content.decode())
    # reference, status, amount, funded amount, grade, annual rate, funding deadline on and
    # borrower have no verbose_name in the model; status, amounts and rates are shown through
    # lending.admin._readable, whose header is read when the page renders.
    for chinese in ["编号", "状态", "金额", "已募集金额", "等级", "年利率", "募集截止日", "借款人"]:
        assert chinese in headers, (chinese, headers)
    html = page.content.decode()
    for english in ["Funded amount", "Annual rate", "Funding deadline on", "Borrower"]:
        assert english not in headers and f">{english}<" not in html
    # The model's name (title, breadcrumbs) and the app's.
    assert "借贷" in html and "借款" in html and ">Loans<" not in html


def test_the_installment_list_and_a_loan_page_read_in_chinese(
    compliance_client, make_user, product
):
    loan = LoanFactory(borrower=make_user("borrower"), product=product)
    Installment.objects.create(
        loan=loan, number=1, due_on=loan.funding_deadline_on, principal_amount=D("800.00"),
        interest_amount=D("83.33"),
    )  # fmt: skip
    headers = _headers(
        compliance_client.get(reverse("admin:lending_installment_changelist")).content.decode()
    )
    assert {"借款", "期次", "到期日", "本金金额", "利息金额", "状态"} <= set(headers), headers
    page = compliance_client.get(
        reverse("admin:lending_loan_change", args=[loan.pk])
    ).content.decode()
    for label in ["期限（月）", "还款方式", "罚息日利率", "宽限天数", "上线日期"]:  # noqa: RUF001
        assert label in page, label
    assert "Term months" not in page and "Penalty daily rate" not in page


def test_the_admin_index_names_the_models_in_chinese_from_the_browsers_language(client, make_user):
    client.force_login(make_user("compliance"))
    html = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE=ZH).content.decode()
    for chinese in ["借贷", "还款期", "出借记录", "资金存管", "记账明细"]:
        assert chinese in html, chinese
    assert ">Installments<" not in html and ">Postings<" not in html
    assert "P2P 网贷运营后台" in html and "P2P Lending operations" not in html


def test_the_same_pages_stay_english_in_english(client, make_user, product):
    LoanFactory(borrower=make_user("borrower"), product=product)
    client.force_login(make_user("operations"))
    headers = _headers(client.get(reverse("admin:lending_loan_changelist")).content.decode())
    assert {"Funded amount", "Annual rate", "Funding deadline on", "Borrower"} <= set(headers)
