"""The regulator portal in Chromium at 1280 and 390 px: no page scrolls sideways or hides a
table cell off-screen on a phone; a regulator raises a request through the form in the
browser. Screenshots go to $LAYOUT_SHOTS_DIR."""

import os
from datetime import timedelta

import pytest

from compliance.services import audit_chain_check
from compliance.services.inspections import Upload, inspection_answer, inspection_raise
from core.audit import audit_record
from lending.business_date import business_date

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("LAYOUT_SHOTS_DIR", "/tmp/shots-layout")
PHONE = 390
PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def world(make_user):
    regulator, officer = make_user("regulator"), make_user("compliance")
    for n in range(60):
        audit_record(
            action=("lending.loan_listed", "custody.deposit_confirmed", "account.login")[n % 3],
            subject_type=("loan", "deposit", "user")[n % 3],
            subject_id=1000 + n,
            actor=officer if n % 2 else None,
            after={"amount": f"{n * 100}.00", "note": "a long value that must wrap " * 2},
        )
    audit_chain_check()
    answered = inspection_raise(
        regulator=regulator,
        subject="Collection notes for loans more than 90 days past due, fourth quarter",
        text="Send the collection notes and the contact log for every such loan.\nBy loan.",
        due_on=business_date() + timedelta(days=10),
    )
    inspection_answer(
        request_id=answered.pk,
        author=officer,
        text="The notes are attached, one file per loan.",
        uploads=[Upload("collection-notes-LN000123-with-a-long-name.pdf", PDF)],
    )
    inspection_raise(
        regulator=regulator,
        subject="Board minutes 2026",
        text="The last four.",
        due_on=business_date() + timedelta(days=3),
    )
    return {"regulator": regulator, "answered": answered}


def _overflow(page) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth")


def _hidden_cells(page) -> list[str]:
    return page.evaluate(
        """() => {
        const out = [];
        for (const cell of document.querySelectorAll('main td, main th')) {
          const r = cell.getBoundingClientRect();
          if (r.width === 0 && r.height === 0) continue;
          if (r.right > window.innerWidth + 1 || r.left < -1) out.push(cell.innerText.slice(0, 40));
        }
        return out;
      }"""
    )


def test_portal_pages_fit_a_phone_and_a_desktop(page_login, live_server, world):
    os.makedirs(SHOTS, exist_ok=True)
    page = page_login(world["regulator"])
    pages = {
        "portal_home": "/regulator/",
        "portal_audit": "/regulator/audit/",
        "portal_audit_filtered": "/regulator/audit/?action=lending.loan_listed",
        "inspection_list": "/regulator/inspections/",
        "inspection_detail": f"/regulator/inspections/{world['answered'].pk}/",
        "inspection_form": "/regulator/inspections/new/",
    }
    for name, path in pages.items():
        for width in (1280, PHONE):
            page.set_viewport_size({"width": width, "height": 900})
            response = page.goto(live_server.url + path)
            assert response.status == 200, path
            page.screenshot(path=f"{SHOTS}/{name}_{width}.png", full_page=True)
        assert _overflow(page) <= PHONE, f"{path}: {_overflow(page)} px wide at {PHONE} px"
        hidden = _hidden_cells(page)
        assert not hidden, f"{path}: cells off-screen at {PHONE} px: {hidden[:5]}"


def test_a_regulator_raises_a_request_in_the_browser(page_login, live_server, world):
    page = page_login(world["regulator"])
    page.goto(live_server.url + "/regulator/")
    page.get_by_role("button", name="Raise a request").click()
    page.fill("#id_subject", "Custodian statements, November")
    page.fill("#id_due_on", (business_date() + timedelta(days=7)).isoformat())
    page.fill("#id_text", "Send the daily statements for November.")
    page.get_by_role("button", name="Send the request").click()
    page.wait_for_url("**/regulator/inspections/*/")
    assert page.get_by_role("heading", name="Custodian statements, November").is_visible()
    assert "sent to the platform's compliance team" in page.content()
