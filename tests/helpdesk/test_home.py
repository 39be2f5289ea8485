"""The home page: a requester's tickets and what is awaited of them, the known problems, a
search box; each role named as it is."""

import pytest

from incidents.models import GovService
from incidents.services import incident_declare
from tests.incidents.conftest import nicta_agent as nicta_agent
from tests.tickets.conftest import email_category as email_category
from tests.tickets.conftest import nicta_email_team as nicta_email_team
from tests.tickets.conftest import printer_category as printer_category
from tickets import services
from tickets.models import Ticket


def _open(requester, category, subject="Printer offline"):
    membership = requester.memberships.select_related("agency").first()
    return services.ticket_create(
        requester=requester,
        requester_agency=membership.agency,
        category=category,
        subject=subject,
        description="It shows an error.",
        impact="low",
        urgency="medium",
    )


@pytest.fixture
def signed_in(client, mof_requester):
    client.force_login(mof_requester)
    return client


def test_it_lists_open_tickets_with_what_is_awaited(
    signed_in, mof_requester, printer_category, django_assert_num_queries
):
    waiting = _open(mof_requester, printer_category, subject="Scanner jammed")
    Ticket.objects.filter(pk=waiting.pk).update(status=Ticket.Status.PENDING)
    for n in range(12):
        _open(mof_requester, printer_category, subject=f"Problem {n}")
    # 1 session, 1 user, 1 memberships and 1 unread-notices count (header), 1 tickets with
    # their agency, team, assignee, requester and category, 1 open major incidents, 1 services
    # not working.
    with django_assert_num_queries(7):
        response = signed_in.get("/")
    page = response.content.decode()
    assert len(response.context["tickets"]) == 11  # ten shown, and one to know there are more
    assert page.count('class="tag ticket-status') == 10
    assert "Problem 11" in page


def test_it_says_when_a_ticket_waits_for_the_requesters_answer(
    signed_in, mof_requester, printer_category
):
    ticket = _open(mof_requester, printer_category, subject="Scanner jammed")
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.PENDING)
    page = signed_in.get("/").content.decode()
    assert "Waiting for your answer" in page
    assert "You are signed in as Requester of Ministry of Finance (MOF)." in page


def test_it_keeps_the_query_count_with_incidents_and_outages(
    signed_in, mof_requester, nicta_agent, email_category, django_assert_num_queries
):
    incident_declare(
        actor=nicta_agent, category=email_category, subject="E-mail down", description="x"
    )
    GovService.objects.create(name="E-mail", state=GovService.State.OUTAGE)
    with django_assert_num_queries(7):  # as above, whatever the incidents and services
        page = signed_in.get("/").content.decode()
    assert "<strong>E-mail down</strong>" in page
    assert "E-mail</strong>: <span" in page


def test_it_searches_the_persons_own_tickets(
    signed_in, mof_requester, moh_requester, printer_category
):
    _open(mof_requester, printer_category, subject="Scanner jammed")
    _open(mof_requester, printer_category, subject="Printer offline")
    _open(moh_requester, printer_category, subject="Scanner at the ministry of health")
    response = signed_in.get("/", {"q": "scanner"})
    assert [t.subject for t in response.context["tickets"]] == ["Scanner jammed"]
    assert "Your tickets matching “scanner”" in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "named"),
    [
        ("council_member", "for the whole government"),
        ("platform_admin", "for the whole government"),
        ("mof_head", "of Ministry of Finance (MOF)"),
    ],
)
def test_it_names_each_role_as_it_is(client, request, persona, named):
    client.force_login(request.getfixturevalue(persona))
    page = client.get("/").content.decode()
    assert named in page
    assert "member of the public" not in page


def test_it_links_the_agency_admin_to_the_agency_settings(client, mof_head):
    client.force_login(mof_head)
    page = client.get("/").content.decode()
    assert 'href="/agencies/MOF/settings/"' in page


def test_it_sends_the_favicon_request_to_the_svg_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith("favicon.svg")
    assert 'rel="icon" href="/static/favicon.svg"' in client.get("/").content.decode()
