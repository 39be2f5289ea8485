"""The figures count a first response as the ticket's clock does: time waiting for the
requester is off, so the ticket page and the dashboard agree on the same ticket."""

from datetime import date

from reports import selectors
from reports.forms import Period
from reports.models import ReportFact
from reports.services import rollups_refresh_pending
from tests.reports.conftest import MONDAY, at
from tickets import services
from tickets.models import Ticket


def test_the_ticket_page_and_the_dashboard_agree_on_a_response_after_a_pause(
    act, service_levels, mof, mof_requester, mof_agent, printer_category, client
):
    ticket = act(
        at(2026, 11, 16, 9, 0), services.ticket_create, requester=mof_requester,
        requester_agency=mof, category=printer_category, subject="Printer offline",
        description="It shows an error.", impact="low", urgency="medium",
    )  # fmt: skip
    # 10 minutes running, then waiting for the requester until 11:00, then 20 minutes more:
    # 30 business minutes when the agent answers at 11:20, within the hour.
    act(at(2026, 11, 16, 9, 10), services.ticket_update,
        ticket=ticket, actor=mof_agent, status="pending")  # fmt: skip
    act(at(2026, 11, 16, 11, 0), services.ticket_reply,
        ticket=ticket, author=mof_requester, body="Here is the model number.")  # fmt: skip
    act(at(2026, 11, 16, 11, 20), services.ticket_reply,
        ticket=ticket, author=mof_agent, body="On my way.", as_agent=True)  # fmt: skip
    rollups_refresh_pending()

    answered = Ticket.objects.get(pk=ticket.pk)
    assert answered.response_breached is False
    client.force_login(mof_agent)
    page = client.get(f"/tickets/{ticket.reference}/").content.decode()
    assert "met (answered after" in page

    fact = ReportFact.objects.get(ticket_id=ticket.pk, kind=ReportFact.Kind.RESPONSE)
    assert (fact.business_seconds, fact.met_target) == (30 * 60, True)
    data = selectors.agency_dashboard(
        agency=mof, period=Period(MONDAY, date(2026, 11, 20)), now=at(2026, 11, 20, 12, 0)
    )
    assert data.tables["sla"].rows[0] == ["First response", 1, 0, 100.0]
    assert data.tables["times"].rows[0] == ["First response", 1, 0.5, 0.5]
