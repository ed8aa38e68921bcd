"""Every emailed link names the one origin the site announces (settings.SITE_URL), whatever
host name the request that caused the mail came in on: no localhost in one mail and
127.0.0.1 in the next."""

import re

import pytest
from django.core import mail
from django.core.management import call_command

pytestmark = pytest.mark.django_db
SITE = "http://127.0.0.1:8000"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


def _links(message) -> list[str]:
    return re.findall(r"https?://[^\s\"<>]+", message.body)


def test_password_reset_link_uses_site_url_when_asked_from_localhost(client, make_user):
    user = make_user()
    client.post("/accounts/password/reset/", {"email": user.email}, HTTP_HOST="localhost:8000")
    assert len(mail.outbox) == 1
    links = _links(mail.outbox[0])
    assert links and all(link.startswith(SITE + "/") for link in links), links
    assert "localhost" not in mail.outbox[0].body


def test_unknown_account_mail_uses_site_url(client):
    client.post(
        "/accounts/password/reset/", {"email": "nobody@example.test"}, HTTP_HOST="localhost"
    )
    assert mail.outbox, "no unknown-account mail"
    for message in mail.outbox:
        assert _links(message)
        assert "localhost" not in message.body
        assert all(link.startswith(SITE + "/") for link in _links(message))


def test_staff_invitation_uses_site_url(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("create_staff", "--email", "ops@example.test", "--role", "operations")
    links = _links(mail.outbox[-1])
    assert links and all(link.startswith(SITE + "/") for link in links), links
