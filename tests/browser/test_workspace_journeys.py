"""An agent works tickets from the queue with the keyboard only, with JavaScript and without;
takes a colleague's ticket after being asked; sees a colleague on the same ticket; and the
queue fits a 1280 px screen one line per ticket."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Role
from tests.factories import MembershipFactory, UserFactory
from tickets import services

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture
def mof_colleague(mof, mof_team):
    user = UserFactory(email="grace@mof.gov.test", full_name="Grace Weah")
    MembershipFactory(user=user, agency=mof, role=Role.AGENT)
    return user


@pytest.fixture
def three_tickets(mof, mof_team, mof_requester, printer_category):
    mof.intake_team = mof_team
    mof.save(update_fields=["intake_team"])
    return [
        services.ticket_create(
            requester=mof_requester,
            requester_agency=mof,
            category=printer_category,
            subject=subject,
            description="It does not work.",
            impact="low",
            urgency="medium",
        )
        for subject in ("Printer jams", "Scanner offline", "Monitor flickers")
    ]


def tab_to(page: Page, selector: str, most: int = 40) -> None:
    """Presses Tab until the element is focused, as a keyboard user would."""
    for _ in range(most):
        if page.evaluate(f"!!document.activeElement.matches({selector!r})"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_it_works_a_ticket_from_the_queue_with_the_keyboard_only(
    open_session, mof_agent, three_tickets
):
    page = open_session(user=mof_agent).new_page()
    page.goto("/queue/?view=all&sort=age")
    page.keyboard.press("j")
    expect(page.locator("tr.is-current")).to_have_attribute("data-ticket", "MOF-000001")
    page.keyboard.press("j")
    expect(page.locator("tr.is-current")).to_have_attribute("data-ticket", "MOF-000002")
    page.keyboard.press("k")
    page.keyboard.press("o")
    expect(page.get_by_role("heading", level=1)).to_have_text("Printer jams")
    # The shortcuts' script is deferred: a key pressed before it runs goes unheard.
    page.wait_for_load_state("load")

    page.evaluate("window.notReloaded = true")
    page.keyboard.press("a")
    expect(page.locator("main .notification-banner")).to_contain_text(
        "MOF-000001 is assigned to you."
    )
    assert page.evaluate("window.notReloaded") is True  # changed in place, no reload

    page.keyboard.press("r")
    expect(page.get_by_label("Your message")).to_be_focused()
    page.keyboard.type("On my way with a new drum.")
    tab_to(page, "#reply button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator("main .notification-banner")).to_contain_text("Your reply is sent.")
    expect(page.locator(".timeline")).to_contain_text("On my way with a new drum.")
    assert page.evaluate("window.notReloaded") is True

    page.keyboard.press("n")
    expect(page.get_by_label("Internal note (not shown to the requester)")).to_be_checked()
    # Shortcuts rest while a field has focus: leave it, as Tab would.
    page.evaluate("document.activeElement.blur()")

    page.keyboard.press("Shift+Slash")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    page.keyboard.press("BracketRight")
    expect(page.get_by_role("heading", level=1)).to_have_text("Scanner offline")


def test_it_works_a_ticket_from_the_queue_with_the_keyboard_and_no_javascript(
    open_session, mof_agent, three_tickets
):
    page = open_session(user=mof_agent, javascript=False).new_page()
    page.goto("/queue/?view=all&sort=age")
    tab_to(page, "a[href='/tickets/MOF-000001/']")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Printer jams")
    tab_to(page, "[data-shortcut-take]")
    page.keyboard.press("Enter")
    expect(page.locator("main .notification-banner")).to_contain_text(
        "MOF-000001 is assigned to you."
    )
    tab_to(page, "#reply_body")
    page.keyboard.type("On my way with a new drum.")
    tab_to(page, "#reply button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator("main .notification-banner")).to_contain_text("Your reply is sent.")
    expect(page.locator(".timeline")).to_contain_text("On my way with a new drum.")
    # "More actions" opens without JavaScript.
    tab_to(page, "details.more-actions > summary")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Transfer")).to_be_visible()


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_it_asks_before_taking_a_colleagues_ticket(
    open_session, mof_agent, mof_colleague, three_tickets, javascript
):
    services.ticket_assign(ticket=three_tickets[0], assignee=mof_colleague, actor=mof_colleague)
    page = open_session(user=mof_agent, javascript=javascript).new_page()
    page.goto("/tickets/MOF-000001/")
    page.get_by_role("link", name="Assign to me").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Take this ticket from Grace Weah?")
    page.get_by_role("button", name="Yes, assign it to me").click()
    expect(page.locator("main .notification-banner")).to_contain_text(
        "MOF-000001 is assigned to you."
    )
    panel = page.get_by_role("region", name="Work on this ticket")
    expect(panel.get_by_label("Assignee")).to_have_value(str(mof_agent.pk))


def test_it_says_when_a_colleague_has_the_ticket_open(
    open_session, mof_agent, mof_colleague, three_tickets
):
    colleague = open_session(user=mof_colleague).new_page()
    colleague.goto("/tickets/MOF-000001/")
    colleague.get_by_label("Your message").fill("Start")  # starts replying
    page = open_session(user=mof_agent).new_page()
    page.goto("/tickets/MOF-000001/")
    expect(page.locator("#presence")).to_contain_text("Grace Weah has started replying.")


def test_it_lists_one_line_per_ticket_on_a_1280_px_screen(
    open_session, mof_agent, mof_requester, mof, printer_category, three_tickets
):
    services.ticket_create(
        requester=mof_requester, requester_agency=mof, category=printer_category,
        subject="A very long subject " * 8, description="Long.", impact="low", urgency="low",
    )  # fmt: skip
    page = open_session(user=mof_agent).new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/queue/?view=all")
    table = page.locator("table.queue-table")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    widths = table.evaluate("t => [t.scrollWidth, t.clientWidth]")
    assert widths[0] <= widths[1]  # Assignee and Updated in view, no sideways scroll
    heights = [row.bounding_box()["height"] for row in table.locator("tbody tr").all()]
    line = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.cell-subject')).lineHeight)"
    )
    assert max(heights) < 2 * line + 12, heights  # one line each, the tags' borders aside
    assert not page.locator("details.queue-filters[open]").count()  # folded away


def test_it_shows_the_queue_as_cards_on_a_phone(open_session, mof_agent, three_tickets):
    page = open_session(user=mof_agent).new_page()
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/queue/?view=all")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    display = page.locator("table.queue-table tbody tr").first.evaluate(
        "row => getComputedStyle(row).display"
    )
    assert display == "block"


def test_it_switches_views_in_place(open_session, mof_agent, three_tickets):
    page = open_session(user=mof_agent).new_page()
    page.goto("/queue/")
    page.evaluate("window.notReloaded = true")
    page.get_by_role("navigation", name="Queue views").get_by_role(
        "link", name="All open in my agency"
    ).click()
    expect(page).to_have_url(re.compile(r"view=all"))
    expect(page.locator("tr[data-ticket]")).to_have_count(3)
    assert page.evaluate("window.notReloaded") is True
