"""The ticket journeys, in a real browser: a requester reports a problem with two files and
follows it; an agent takes it from the queue and replies; the requester reads the reply. Every
page on the way passes axe-core, on a wide screen and on a narrow one. An empty report is
refused with an error summary that takes the focus and links to each field."""

import base64
import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    TICKET_JOURNEY_PAGES,
    axe_violations,
    describe_violations,
    sign_in,
    sign_out,
)
from tickets import services

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

# WCAG 2.2 success criterion 1.4.10 (Reflow): 320 CSS pixels, as a 1280 px screen at 400 %.
# Tables scroll in their own box there, and a box that scrolls must be reachable by keyboard.
NARROW_WIDTH_PX = 320

# A real PNG of one transparent pixel (the server checks the first bytes of what it gets).
ONE_PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


def _check_page(page: Page, expected_heading: str, *, ignore_case: bool = False) -> None:
    """Waits for the page with this h1, then runs axe-core on it as it is and on a narrow
    screen."""
    expect(page.get_by_role("heading", level=1)).to_have_text(
        expected_heading, ignore_case=ignore_case
    )
    violations = axe_violations(page)
    assert not violations, f"{page.url}\n{describe_violations(violations)}"
    size = page.viewport_size
    page.set_viewport_size({"width": NARROW_WIDTH_PX, "height": 640})
    try:
        violations = axe_violations(page)
    finally:
        page.set_viewport_size(size)
    assert not violations, f"{page.url} at {NARROW_WIDTH_PX} px\n{describe_violations(violations)}"


def _summary_value(page: Page, term: str):
    """The value next to `term` in the ticket's summary list."""
    return page.locator("dl.summary-list dt").filter(has_text=term).locator("+ dd")


def _history(page: Page):
    return page.get_by_role("list", name="History")


def _sign_in_on_the_way_to(page: Page, path: str, *, email: str, password: str) -> None:
    """Opens a page that needs signing in: the sign-in form comes first, then the page."""
    page.goto(path)
    # allauth's own headings are in title case ("Sign In"), ours are not.
    _check_page(page, "Sign in", ignore_case=True)
    sign_in(page, email=email, password=password)
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))


@pytest.fixture
def mof_desk(mof_service_desk, mof_agent, printer_category):
    """MOF's intake team receives its printer problems; its agent is in that team."""
    mof_service_desk.members.add(mof_agent)
    return mof_service_desk


# -- A requester reports a problem --------------------------------------------------------


def test_it_reports_a_problem_with_two_files_and_follows_it(
    open_session, mof_requester, mof_desk, password, media_root, tmp_path
):
    text_file = tmp_path / "printer-error.txt"
    text_file.write_text("Error 41.2: paper jam in tray 2\n")
    picture = tmp_path / "printer-screen.png"
    picture.write_bytes(ONE_PIXEL_PNG)
    page = open_session().new_page()

    _sign_in_on_the_way_to(page, "/tickets/", email=mof_requester.email, password=password)
    _check_page(page, "Your tickets")
    expect(page.get_by_role("cell", name="You have no tickets yet.")).to_be_visible()

    page.get_by_role("main").get_by_role("link", name="Report a problem").click()
    _check_page(page, "Report a problem")
    page.get_by_label("What is the problem about?", exact=True).select_option(
        label="Computer and printer"
    )
    page.get_by_label("Subject", exact=True).fill("Cannot print on the second floor")
    page.get_by_label("Describe the problem", exact=True).fill(
        "The printer says **paper jam**, but there is no paper in it."
    )
    page.get_by_role("group", name="Who is affected?").get_by_label("My team").check()
    page.get_by_role("group", name="Can you still work?").get_by_label(
        "No, work has stopped"
    ).check()
    page.get_by_label("Attach files").set_input_files([text_file, picture])
    page.get_by_role("button", name="Send report").click()

    _check_page(page, "Your problem is reported")
    expect(page).to_have_title(re.compile(r"^Problem reported: MOF-000001 "))
    expect(page.locator(".panel-reference")).to_have_text("MOF-000001")
    expect(page.get_by_role("main")).to_contain_text("Ministry of Finance has received it.")

    page.get_by_role("link", name="See all your tickets").click()
    _check_page(page, "Your tickets")
    row = page.get_by_role("row").filter(has_text="MOF-000001")
    expect(row).to_contain_text("Cannot print on the second floor")
    expect(row).to_contain_text("New")

    row.get_by_role("link", name="MOF-000001").click()
    _check_page(page, "Cannot print on the second floor")
    # The plain answers became impact "medium" and urgency "high".
    expect(_summary_value(page, "Priority")).to_have_text("P2 – high")
    expect(_summary_value(page, "Handled by")).to_have_text(
        "Ministry of Finance (MOF), team Service desk"
    )
    expect(_history(page).locator("strong", has_text="paper jam")).to_be_visible()
    files = page.get_by_role("list", name="Attached files")
    expect(files.get_by_role("link")).to_have_text(["printer-error.txt", "printer-screen.png"])

    with page.expect_download() as download:
        files.get_by_role("link", name="printer-error.txt").click()
    assert download.value.suggested_filename == "printer-error.txt"
    assert download.value.path().read_bytes() == text_file.read_bytes()
    # Stored in this test's folder, not the project's .devdata: the two files and the
    # screenshot's preview.
    assert len([path for path in media_root.rglob("*") if path.is_file()]) == 3


# -- An agent takes it and replies; the requester reads the reply ----------------------------


def test_it_lets_an_agent_take_a_ticket_from_the_queue_and_the_requester_read_the_reply(
    open_session, mof, mof_requester, mof_agent, mof_desk, printer_category, password
):
    services.ticket_create(
        requester=mof_requester,
        requester_agency=mof,
        category=printer_category,
        subject="Cannot print on the second floor",
        description="The printer says paper jam, but there is no paper in it.",
        impact="medium",
        urgency="high",
    )
    reply = "I am on my way with a new fuser unit. It should print again by noon."
    page = open_session().new_page()

    _sign_in_on_the_way_to(page, "/queue/", email=mof_agent.email, password=password)
    _check_page(page, "Queue of Ministry of Finance")
    expect(page.get_by_role("cell", name="No tickets match.")).to_be_visible()  # none "Mine"

    views = page.get_by_role("navigation", name="Queue views")
    views.get_by_role("link", name="Unassigned in my teams").click()
    expect(views.get_by_role("link", name="Unassigned in my teams")).to_have_attribute(
        "aria-current", "page"
    )
    _check_page(page, "Queue of Ministry of Finance")
    page.get_by_role("table").get_by_role("link", name="MOF-000001").click()

    _check_page(page, "Cannot print on the second floor")
    panel = page.get_by_role("region", name="Work on this ticket")
    expect(_summary_value(page, "Assigned to")).to_have_text("Nobody yet")
    panel.get_by_role("button", name="Assign to me").click()

    expect(page.locator(".notification-banner")).to_contain_text("MOF-000001 is assigned to you.")
    _check_page(page, "Cannot print on the second floor")
    expect(_summary_value(page, "Assigned to")).to_have_text("James Tarpeh")
    expect(panel.get_by_role("button", name="Assign to me")).to_have_count(0)

    reply_form = page.get_by_role("region", name="Reply or add a note")
    reply_form.get_by_label("Your message").fill(reply)
    expect(
        reply_form.get_by_label("Internal note (not shown to the requester)")
    ).not_to_be_checked()
    reply_form.get_by_role("button", name="Send").click()

    expect(page.locator(".notification-banner")).to_contain_text("Your reply is sent.")
    _check_page(page, "Cannot print on the second floor")
    sign_out(page)

    page = open_session().new_page()
    _sign_in_on_the_way_to(
        page, "/tickets/MOF-000001/", email=mof_requester.email, password=password
    )
    _check_page(page, "Cannot print on the second floor")
    expect(_summary_value(page, "Assigned to")).to_have_text("James Tarpeh")
    answer = _history(page).get_by_role("listitem").filter(has_text=reply)
    expect(answer).to_have_count(1)
    expect(answer).to_contain_text("James Tarpeh")
    expect(answer).not_to_contain_text("Internal note")


# -- An empty report ------------------------------------------------------------------------


def test_it_summarises_the_errors_of_an_empty_report_focuses_them_and_links_the_fields(
    open_session, mof_requester, mof_desk
):
    page = open_session(user=mof_requester).new_page()
    page.goto("/tickets/new/")

    page.get_by_role("button", name="Send report").click()

    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_focused()  # moved there by govdesk.js
    expect(page).to_have_title(re.compile(r"^Error: Report a problem "))
    _check_page(page, "Report a problem")
    links = summary.get_by_role("link")
    expect(links).to_have_text(
        ["Choose the service the problem is about.", "Enter a subject.", "Describe the problem."]
    )
    fields = ["What is the problem about?", "Subject", "Describe the problem"]
    for link, label in zip(links.all(), fields, strict=True):
        field = page.get_by_label(label, exact=True)
        field_id = field.get_attribute("id")
        assert field_id, f"the field “{label}” has no id to link to"
        expect(link).to_have_attribute("href", f"#{field_id}")
        link.click()
        expect(field).to_be_focused()


# -- Every ticket page on a narrow screen ----------------------------------------------------


@pytest.mark.parametrize(
    "journey_page", TICKET_JOURNEY_PAGES, ids=lambda journey_page: journey_page.name
)
def test_it_has_no_axe_violations_on_a_narrow_screen(visit, journey_page):
    page = visit(journey_page).page

    page.set_viewport_size({"width": NARROW_WIDTH_PX, "height": 640})
    violations = axe_violations(page)

    assert not violations, describe_violations(violations)
