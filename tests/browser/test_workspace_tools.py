"""An agent inserts a French canned response for a French-speaking requester and applies a
macro; saved views show beside the built-in ones; the agency admin saves the queue's filters as
a view shared with the agency. Each journey also with JavaScript off."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import REPORTED_TICKET, axe_violations, describe_violations
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture
def agent_page(open_session, government, workspace_library, mof_agent):
    def agent_page(*, javascript: bool):
        page = open_session(javascript=javascript, user=mof_agent).new_page()
        page.goto(f"/tickets/{REPORTED_TICKET}/")
        return page

    return agent_page


# A form's post (without JavaScript) should come back well within this.
NAVIGATION_MS = 5_000
TICKET_URL = re.compile(rf"/tickets/{REPORTED_TICKET}/$")
BOTH = pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "no-js"])


def press_and_wait(page, button, *, javascript: bool) -> None:
    """Presses the button with Enter, as a keyboard user would. Without JavaScript the form
    posts and redirects: wait for that load, never longer than NAVIGATION_MS."""
    if javascript:
        button.press("Enter")
        return
    with page.expect_navigation(timeout=NAVIGATION_MS):
        button.press("Enter", timeout=NAVIGATION_MS)


@BOTH
def test_it_inserts_the_french_response_for_a_french_speaking_requester(agent_page, javascript):
    page = agent_page(javascript=javascript)
    tools = page.get_by_role("region", name="Canned responses and macros")
    tools.get_by_label("Canned response").select_option(label="Printer restarted")
    press_and_wait(page, tools.get_by_role("button", name="Insert in reply"), javascript=javascript)
    if not javascript:
        expect(page).to_have_url(TICKET_URL, timeout=NAVIGATION_MS)
        expect(page.locator("main .notification-banner")).to_contain_text(
            "“Printer restarted” is in your reply below", timeout=NAVIGATION_MS
        )
    reply = page.locator("#reply_body")
    expect(reply).to_have_value("Bonjour Musu, l'imprimante est redémarrée.")
    if javascript:  # axe runs as a script: a page without JavaScript never answers it
        violations = axe_violations(page)
        assert not violations, describe_violations(violations)


@BOTH
def test_it_applies_a_macro(agent_page, javascript, reported_ticket):
    page = agent_page(javascript=javascript)
    tools = page.get_by_role("region", name="Canned responses and macros")
    tools.get_by_label("Macro").select_option(label="Restarted, waiting")
    press_and_wait(page, tools.get_by_role("button", name="Apply macro"), javascript=javascript)
    if not javascript:
        expect(page).to_have_url(TICKET_URL, timeout=NAVIGATION_MS)
    expect(page.get_by_text("The macro “Restarted, waiting” is applied")).to_be_visible()
    expect(page.get_by_text("Bonjour Musu, l'imprimante est redémarrée.").first).to_be_visible()
    reported_ticket.refresh_from_db()
    assert reported_ticket.status == Ticket.Status.PENDING


def test_it_shows_saved_views_beside_the_built_in_ones(
    open_session, government, workspace_library, mof_agent
):
    page = open_session(user=mof_agent).new_page()
    page.goto("/queue/")
    views = page.get_by_role("navigation", name="Saved views")
    views.get_by_role("link", name="Urgent in MOF").click()
    page.wait_for_url("**/queue/?view=all&priority=P2")
    expect(page.get_by_role("link", name="Urgent in MOF")).to_have_attribute("aria-current", "page")


@BOTH
def test_the_agency_admin_saves_the_queue_filter_as_a_view_shared_with_the_agency(
    open_session, workspace_library, reported_ticket, mof_head, mof_agent, javascript
):
    reported_ticket.refresh_from_db()  # the agent's reply has moved it on
    status = reported_ticket.status
    page = open_session(user=mof_head, javascript=javascript).new_page()
    page.goto(f"/queue/?view=all&status={status}")
    views = page.get_by_role("navigation", name="Saved views")
    views.get_by_text("Save these filters as a view").click()  # a disclosure, also without JS
    views.get_by_label("Name of the view").fill("Open in MOF")
    views.get_by_label("My whole agency").check()
    press_and_wait(page, views.get_by_role("button", name="Save view"), javascript=javascript)
    expect(page).to_have_url(
        re.compile(rf"/queue/\?view=all&status={status}$"), timeout=NAVIGATION_MS
    )
    expect(page.locator("main .notification-banner")).to_contain_text(
        "The view “Open in MOF” is saved.", timeout=NAVIGATION_MS
    )
    saved = page.get_by_role("navigation", name="Saved views").get_by_role(
        "link", name=re.compile(r"^Open in MOF \(1\) agency$")
    )
    expect(saved).to_have_attribute("aria-current", "page", timeout=NAVIGATION_MS)

    # Shared with the agency: a colleague sees it beside the built-in views, with its count.
    colleague = open_session(user=mof_agent, javascript=javascript).new_page()
    colleague.goto("/queue/")
    listed = colleague.get_by_role("navigation", name="Saved views").get_by_role(
        "link", name=re.compile(r"^Open in MOF \(1\) agency$")
    )
    listed.click(timeout=NAVIGATION_MS)
    expect(colleague).to_have_url(re.compile(rf"view=all&status={status}$"), timeout=NAVIGATION_MS)
    expect(colleague.locator("tr[data-ticket]")).to_have_count(1, timeout=NAVIGATION_MS)
