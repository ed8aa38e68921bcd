"""Demo and dev setups show newcomers sandbox test values on the identity page: the passing
ones pass (fresh per account, so two newcomers never collide), the failing ones fail for the
reason the page gives; other setups show none."""

import html
import re

import pytest
from django.urls import reverse

from accounts.adapters.identity import sandbox_test_values
from accounts.models import Identity

pytestmark = pytest.mark.django_db
URL = reverse("accounts:onboarding-identity")


def _shown(page: str) -> dict:
    block = page.split('id="sandbox-values"', 1)[1].split("</article>", 1)[0]
    pairs = re.findall(r"<dt>([^<]+)</dt><dd class=\"mono\">([^<]+)</dd>", block)
    return {label: html.unescape(value) for label, value in pairs}


def _form(values) -> dict:
    return {
        "legal_name": values.legal_name,
        "national_id": values.national_id,
        "phone": values.phone,
        "bank_card": values.bank_card,
    }


def test_page_shows_values_that_pass_for_each_newcomer(client, make_user):
    for n in range(2):  # two newcomers: each one's values pass (no duplicate refusal)
        user = make_user(email=f"newcomer{n}@example.test")
        client.force_login(user)
        page = client.get(URL).content.decode()
        shown = _shown(page)
        values = sandbox_test_values(user.pk)
        assert shown["Resident ID"] == values.national_id
        assert shown["Mobile phone"] == values.phone and shown["Bank card"] == values.bank_card
        assert "Values that fail on purpose" in page
        response = client.post(URL, _form(values))
        assert response.status_code == 302, response.content.decode()[:2000]
        assert Identity.objects.filter(user=user).exists()


def test_fill_link_prefills_the_form(client, make_user):
    user = make_user()
    client.force_login(user)
    page = client.get(URL + "?fill=sandbox").content.decode()
    assert f'value="{sandbox_test_values(user.pk).national_id}"' in page


@pytest.mark.parametrize("index", range(5))
def test_each_failing_value_fails(client, make_user, index):
    user = make_user()
    client.force_login(user)
    values = sandbox_test_values(user.pk)
    field, value, why = values.failing[index]
    page = client.get(URL).content.decode()
    assert html.escape(why) in page or why in html.unescape(page)
    response = client.post(URL, {**_form(values), field: value})
    assert response.status_code == 200
    assert not Identity.objects.filter(user=user).exists()


def test_no_values_outside_demo_setups(client, make_user, settings):
    settings.DEMO_DATA_ALLOWED = False
    client.force_login(make_user())
    page = client.get(URL).content.decode()
    assert "sandbox-values" not in page
    assert client.get(URL + "?fill=sandbox").content.decode().count('value="3101') == 0
