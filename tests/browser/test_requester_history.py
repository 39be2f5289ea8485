"""A ticket's history as its requester reads it: names, never staff addresses; a transfer in
plain words; none of the agency's internal steps."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from agencies.models import Team
from tests.browser.conftest import REPORTED_TICKET, axe_violations, describe_violations
from tickets import services
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture
def transferred_ticket(reported_ticket, mof_agent, moh):
    """The reported ticket, answered by an agent who never gave a name, then passed to the
    Ministry of Health."""
    User.objects.filter(pk=mof_agent.pk).update(full_name="")
    moh.intake_team = Team.objects.create(agency=moh, name="MOH desk")
    moh.save(update_fields=["intake_team"])
    services.ticket_transfer(
        ticket=Ticket.objects.get(pk=reported_ticket.pk),
        to_agency=moh,
        reason="Their printers are under the health ministry's contract.",
        actor=User.objects.get(pk=mof_agent.pk),
    )
    return reported_ticket


def test_it_shows_the_requester_a_transfer_without_staff_addresses_or_internal_steps(
    open_session, transferred_ticket, mof_requester
):
    page = open_session(user=mof_requester).new_page()
    page.goto(f"/tickets/{REPORTED_TICKET}/")
    history = page.locator("ol.timeline")
    expect(history).to_contain_text("MOH handles this ticket from now on: MOF passed it on.")
    expect(history).to_contain_text("Their printers are under the health ministry's contract.")
    expect(history).to_contain_text("The service desk")
    main = page.locator("main").inner_text()
    assert "agent@mof.gov.test" not in main
    # The answer moved it to Open, which the requester may read; the transfer's return to New,
    # the assignment and the note are the agency's own business.
    for internal_step in ("Assigned", "from Open to New", "team", "Fuser unit"):
        assert internal_step not in history.inner_text()
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)


def test_it_still_shows_staff_every_step(open_session, transferred_ticket, mof_agent):
    page = open_session(user=User.objects.get(pk=mof_agent.pk)).new_page()
    page.goto(f"/tickets/{REPORTED_TICKET}/")
    history = page.locator("ol.timeline")
    expect(history).to_contain_text("Assigned to agent@mof.gov.test.")
    expect(history).to_contain_text("It moved to another agency.")
