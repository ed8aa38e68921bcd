"""English and Simplified Chinese: the browser's language on a first visit, the switch on
every page (a cookie, and the signed-in user's own setting that follows them to any device
and into the emails sent to them), and dates and amounts in each language's conventions."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.template import Context, Template
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation

from accounts.language import language_of, user_language
from tests.accounts.factories import PASSWORD

ZH = "zh-CN,zh;q=0.9,en;q=0.5"
EN = "en-GB,en;q=0.8"
COOKIE = settings.LANGUAGE_COOKIE_NAME


def _switch(client, language, next_url="/"):
    return client.post("/language/", {"language": language, "next": next_url})


@pytest.mark.django_db
def test_a_first_visit_follows_the_browsers_language(client):
    chinese = client.get("/", HTTP_ACCEPT_LANGUAGE=ZH)
    assert chinese.status_code == 200
    assert chinese["Content-Language"] == "zh-hans"
    assert "Accept-Language" in chinese["Vary"]
    html = chinese.content.decode()
    assert '<html lang="zh-Hans"' in html
    assert "开立账户" in html and "个人对个人的借贷平台" in html
    assert "Open an account" not in html

    english = client.get("/", HTTP_ACCEPT_LANGUAGE=EN)
    html = english.content.decode()
    assert english["Content-Language"] == "en"
    assert '<html lang="en"' in html and "Open an account" in html and "开立账户" not in html

    # A language the platform does not offer falls back to English.
    assert "Open an account" in client.get("/", HTTP_ACCEPT_LANGUAGE="fr-FR").content.decode()


@pytest.mark.django_db
def test_every_page_carries_the_switch_with_its_csrf_token(client):
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE=ZH).content.decode()
    assert 'action="/language/"' in html
    assert 'name="csrfmiddlewaretoken"' in html.split('class="language-switch"')[1]
    assert 'value="en" lang="en">English</button>' in html
    assert 'value="zh-hans" lang="zh-hans" aria-current="true" disabled>简体中文</button>' in html


@pytest.mark.django_db
def test_the_switch_is_remembered_in_a_cookie_over_the_browsers_language(client):
    response = _switch(client, "zh-hans", "/marketplace/?grade=A")
    assert response.status_code == 302
    assert response["Location"] == "/marketplace/?grade=A"
    assert response.cookies[COOKIE].value == "zh-hans"
    assert response.cookies[COOKIE]["httponly"]
    # The browser still asks for English; the choice wins.
    assert "出借市场" in client.get("/marketplace/", HTTP_ACCEPT_LANGUAGE=EN).content.decode()

    _switch(client, "en")
    assert "Marketplace" in client.get("/marketplace/", HTTP_ACCEPT_LANGUAGE=ZH).content.decode()


@pytest.mark.django_db
def test_the_switch_refuses_what_it_cannot_do_without_changing_anything(client, make_user):
    user = make_user("investor")
    client.force_login(user)
    # An unsupported language: back to the page, no cookie, nothing stored.
    response = _switch(client, "fr")
    assert response.status_code == 302
    assert COOKIE not in response.cookies
    user.refresh_from_db()
    assert user.language == ""
    # Only POST; and the next page must be on this site.
    assert client.get("/language/").status_code == 405
    assert _switch(client, "zh-hans", "https://evil.example/")["Location"] == "/"
    # Without a CSRF token the switch is refused.
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/language/", {"language": "zh-hans"}).status_code == 403


@pytest.mark.django_db
def test_a_signed_in_users_choice_follows_them_to_another_device(client, make_user):
    user = make_user("investor")
    client.force_login(user)
    _switch(client, "zh-hans", "/dashboard/")
    user.refresh_from_db()
    assert user.language == "zh-hans"
    assert language_of(user) == "zh-hans"

    # A new device: no cookie, an English browser. Signing in brings the choice back.
    device = Client()
    response = device.post(
        "/accounts/login/", {"login": user.email, "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE=EN
    )
    assert response.status_code == 302
    page = device.get("/dashboard/", HTTP_ACCEPT_LANGUAGE=EN)
    assert "当前登录" in page.content.decode()
    assert page.cookies[COOKIE].value == "zh-hans"  # and the device remembers it from now on

    # Switching back on that device changes the user's setting too.
    _switch(device, "en", "/dashboard/")
    user.refresh_from_db()
    assert user.language == "en"
    assert (
        f"Signed in as {user.email}"
        in client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE=ZH).content.decode()
    )


@pytest.mark.django_db
def test_a_new_user_is_written_to_in_the_language_they_signed_up_in(client):
    from accounts.models import User

    client.post(
        "/accounts/signup/",
        {"email": "xin@example.com", "password1": "Sturdy-Pass-2026!", "password2": "Sturdy-Pass-2026!"},
        HTTP_ACCEPT_LANGUAGE=ZH,
    )  # fmt: skip
    user = User.objects.get(email="xin@example.com")
    assert user.language == "zh-hans"
    assert mail.outbox, "no verification email"
    assert "这里是 P2P 网贷" in mail.outbox[-1].body


@pytest.mark.django_db
def test_emails_render_in_the_recipients_language_whatever_the_senders(make_user):
    chinese = make_user("investor")
    chinese.language = "zh-hans"
    chinese.save(update_fields=["language"])
    english = make_user("investor")
    context = {"unlock_url": "https://p2p.example.com/u/x/", "minutes": 60, "current_site": None}
    with translation.override("en"):
        with user_language(chinese):
            subject = render_to_string("account/email/login_unlock_subject.txt", context)
            body = render_to_string("account/email/login_unlock_message.txt", context)
        assert subject.strip() == "您的账户登录已被锁定"
        assert "有效期为 60 分钟" in body
        assert translation.get_language() == "en"  # restored after the block
    with translation.override("zh-hans"), user_language(english):
        subject = render_to_string("account/email/login_unlock_subject.txt", context)
    assert subject.strip() == "Sign-in to your account is locked"
    assert language_of(english) == "en"  # never chose: the platform's default


AMOUNTS = Template(
    '{% load humanize %}{{ d|date:"DATE_FORMAT" }}|{{ t|date:"DATETIME_FORMAT" }}|'
    '{{ d|date:_("j M Y") }}|{{ amount|floatformat:"2g" }}|{{ amount|floatformat:2|intcomma }}|'
    '{{ whole|floatformat:"0g" }}'
)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "2026-12-06|2026-12-06 09:05|6 Dec 2026|1,234,567.80|1,234,567.80|200,000"),
        (
            "zh-hans",
            "2026年12月6日|2026年12月6日 09:05|2026年12月6日|1,234,567.80|1,234,567.80|200,000",
        ),
    ],
)
def test_dates_and_amounts_follow_the_language_while_the_values_stay_the_same(language, expected):
    values = {
        "d": datetime.date(2026, 12, 6),
        "t": datetime.datetime(2026, 12, 6, 9, 5),
        "amount": Decimal("1234567.80"),
        "whole": Decimal("200000"),
    }
    with translation.override(language):
        assert AMOUNTS.render(Context(values)) == expected


@pytest.mark.django_db
def test_a_page_shows_dates_and_amounts_in_the_chosen_language(client, make_user):
    from accounts.models import User

    user = make_user()
    User.objects.filter(pk=user.pk).update(
        date_joined=datetime.datetime(2026, 3, 9, 12, tzinfo=datetime.UTC)
    )
    client.force_login(user)
    assert "9 March 2026" in client.get("/settings/", HTTP_ACCEPT_LANGUAGE=EN).content.decode()
    _switch(client, "zh-hans")
    html = client.get("/settings/").content.decode()
    assert "2026年3月9日" in html and "注册时间" in html
    home = client.get("/").content.decode()
    assert "借款最高 200,000 CNY" in home
