"""An agent inserts a French canned response for a French-speaking requester and applies a
macro; saved views show beside the built-in ones."""

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


# Without JavaScript the same forms post and redirect (tests/workspace/test_library.py covers
# it through the test client).
@pytest.mark.parametrize("javascript", [True], ids=["with-js"])
def test_it_inserts_the_french_response_for_a_french_speaking_requester(agent_page, javascript):
    page = agent_page(javascript=javascript)
    tools = page.get_by_role("region", name="Canned responses and macros")
    tools.get_by_label("Canned response").select_option(label="Printer restarted")
    # Pressed as a keyboard user would: the same with and without JavaScript.
    tools.get_by_role("button", name="Insert in reply").press("Enter")
    reply = page.locator("#reply_body")
    expect(reply).to_have_value("Bonjour Musu, l'imprimante est redémarrée.")
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)


@pytest.mark.parametrize("javascript", [True], ids=["with-js"])
def test_it_applies_a_macro(agent_page, javascript, reported_ticket):
    page = agent_page(javascript=javascript)
    tools = page.get_by_role("region", name="Canned responses and macros")
    tools.get_by_label("Macro").select_option(label="Restarted, waiting")
    tools.get_by_role("button", name="Apply macro").press("Enter")
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
