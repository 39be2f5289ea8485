"""The web pages and the API decide alike: one rule for the services a person may choose, one
set of ticket filters, one rule for who may reply."""

import pytest

from accounts.models import Role
from tests.factories import MembershipFactory, UserFactory
from tickets import services
from tickets.models import Ticket


def _web_services(client, user) -> set[str]:
    client.force_login(user)
    form = client.get("/tickets/new/").context["form"]
    return {category.slug for category in form.fields["category"].categories.values()}


def _api_services(api, user) -> set[str]:
    body = api(user).get("/api/v1/categories/?page_size=100").json()
    return {category["slug"] for category in body["results"]}


@pytest.mark.parametrize("persona", ["mof_requester", "mof_agent", "platform_admin"])
def test_it_offers_the_same_services_on_the_web_and_the_api(
    client, api, request, persona, printer_category, payroll_category, email_category
):
    user = request.getfixturevalue(persona)

    assert _web_services(client, user) == _api_services(api, user)


def test_it_offers_a_platform_admin_only_the_services_they_may_report_under(
    client, api, platform_admin, printer_category, payroll_category
):
    offered = _api_services(api, platform_admin)

    # MOF's own service is refused to anyone outside MOF reporting their own problem.
    assert offered == {printer_category.slug}
    response = api(platform_admin).post(
        "/api/v1/tickets/",
        {
            "subject": "Payslip missing",
            "description": "None this month.",
            "category": payroll_category.slug,
            "impact": "low",
            "urgency": "low",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "category" in response.json()


def test_it_lets_a_platform_admin_log_a_call_under_the_callers_agencys_service(
    api, platform_admin, mof_requester, mof_service_desk, payroll_category
):
    response = api(platform_admin).post(
        "/api/v1/tickets/",
        {
            "subject": "Payslip missing",
            "description": "None this month.",
            "category": payroll_category.slug,
            "impact": "low",
            "urgency": "low",
            "requester": mof_requester.email,
        },
        format="json",
    )

    assert response.status_code == 201
    assert Ticket.objects.get(reference=response.json()["reference"]).requester == mof_requester


@pytest.fixture
def nicta_note(nicta, nicta_email_team, email_category, mof_agent, open_ticket):
    """A ticket a MOF agent reported about their own e-mail, handled by NICTA, which keeps an
    internal note on it."""
    nicta_agent = UserFactory(email="agent@nicta.gov.test")
    MembershipFactory(user=nicta_agent, agency=nicta, role=Role.AGENT)
    ticket = open_ticket(mof_agent, email_category, subject="Mailbox full")
    services.ticket_reply(
        ticket=ticket, author=nicta_agent, body="quota raised", internal=True, as_agent=True
    )
    return ticket, nicta_agent


def test_it_searches_internal_notes_only_where_the_person_reads_them(api, mof_agent, nicta_note):
    ticket, nicta_agent = nicta_note

    # The MOF agent sees the ticket (they reported it) but not NICTA's note, nor that it
    # holds a word.
    assert api(mof_agent).get(f"/api/v1/tickets/{ticket.reference}/")
    assert not api(mof_agent).get("/api/v1/tickets/?q=quota").json()["results"]
    found = api(nicta_agent).get("/api/v1/tickets/?q=quota").json()["results"]
    assert [t["reference"] for t in found] == [ticket.reference]


def test_it_filters_the_web_queue_and_the_api_list_by_the_same_rules(
    client, api, mof_agent, mof_service_desk, printer_category, mof_requester, open_ticket
):
    mof_service_desk.members.add(mof_agent)
    jammed = open_ticket(mof_requester, printer_category, subject="Printer jammed")
    open_ticket(mof_requester, printer_category, subject="Screen flickers")
    services.ticket_reply(
        ticket=jammed, author=mof_agent, body="toner ordered", internal=True, as_agent=True
    )
    client.force_login(mof_agent)

    web = client.get("/queue/?view=all&q=toner&assignee=nobody").context["page_obj"]
    listed = api(mof_agent).get("/api/v1/tickets/?q=toner&assignee=none").json()["results"]

    assert [t.reference for t in web] == [t["reference"] for t in listed] == [jammed.reference]


def test_it_lets_a_watcher_reply_but_not_the_agency_that_transferred_the_ticket(
    client, api, mof, nicta, mof_ticket, mof_agent, mof_requester
):
    colleague = UserFactory(email="colleague@mof.gov.test")
    MembershipFactory(user=colleague, agency=mof, role=Role.REQUESTER)
    services.ticket_watcher_add(ticket=mof_ticket, email=colleague.email, actor=mof_requester)
    services.ticket_transfer(ticket=mof_ticket, to_agency=nicta, reason="Theirs", actor=mof_agent)
    url = f"/api/v1/tickets/{mof_ticket.reference}/comments/"

    by_watcher = api(colleague).post(url, {"body": "Same here"}, format="json")
    by_sender = api(mof_agent).post(url, {"body": "Any news?"}, format="json")
    client.force_login(mof_agent)
    on_the_web = client.post(f"/tickets/{mof_ticket.reference}/reply/", {"body": "Any news?"})

    assert (by_watcher.status_code, by_sender.status_code) == (201, 403)
    assert on_the_web.status_code == 403
