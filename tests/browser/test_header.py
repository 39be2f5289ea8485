"""The header: one row on a desktop for every role, a menu that opens without JavaScript on a
phone, and the account menu that holds the language, the role switch and signing out."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, describe_violations, open_account_menu

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}


def _row_height_in_lines(page) -> float:
    """The header row's height against the height of one line of it: the site's name."""
    row = page.locator("header .header-row").first.bounding_box()
    line = page.locator("header .site-name").bounding_box()
    return row["height"] / line["height"]


@pytest.mark.parametrize(
    ("persona", "path"),
    [
        (None, "/"),
        ("mof_requester", "/"),
        ("mof_agent", "/queue/"),
        ("mof_head", "/agencies/MOF/settings/"),
        ("council_member", "/"),
        ("platform_admin", "/agencies/"),
    ],
)
def test_it_keeps_the_header_to_one_row_on_a_desktop(
    open_session, government, request, persona, path
):
    user = request.getfixturevalue(persona) if persona else None
    page = open_session(user=user).new_page()
    page.set_viewport_size(DESKTOP)
    page.goto(path)
    assert _row_height_in_lines(page) < 1.5
    if persona:
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()
        expect(page.locator("header details.site-menu > summary")).to_be_hidden()


def test_it_opens_the_menu_on_a_phone_without_javascript(open_session, mof_head):
    page = open_session(user=mof_head, javascript=False).new_page()
    page.set_viewport_size(PHONE)
    page.goto("/")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav).to_be_hidden()
    page.locator("header details.site-menu > summary").click()
    expect(nav.get_by_role("link", name="Settings")).to_be_visible()
    nav.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Settings of Ministry of Finance")


def test_it_keeps_the_account_menu_accessible_when_open(open_session, mof_head):
    page = open_session(user=mof_head).new_page()
    page.set_viewport_size(DESKTOP)
    page.goto("/")
    open_account_menu(page)
    expect(page.locator("header #language-switch")).to_be_visible()
    expect(page.get_by_test_id("current-agency")).to_have_text("Ministry of Finance")
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)
