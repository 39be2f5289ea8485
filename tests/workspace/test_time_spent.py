"""Time spent: minutes recorded with a reply or note, shown per agency, refused when absurd."""

import pytest
from django.core.exceptions import ValidationError

from tickets import services
from tickets.models import Ticket, TicketEvent, TimeEntry
from tickets.time_spent import minutes_check, ticket_time_record, ticket_time_totals


def test_it_records_minutes_with_a_note_in_the_same_transaction(ticket, mof_agent):
    event = services.ticket_reply(
        ticket=ticket, author=mof_agent, body="Checked the spooler.", internal=True,
        as_agent=True, minutes=25,
    )  # fmt: skip
    entry = TimeEntry.objects.get()
    assert (entry.minutes, entry.agent, entry.agency.code) == (25, mof_agent, "MOF")
    assert entry.requester_agency.code == "MOF"
    assert entry.category_id == ticket.category_id
    assert entry.event.kind == TicketEvent.Kind.TIME
    assert not entry.event.is_public
    assert event.kind == TicketEvent.Kind.NOTE


@pytest.mark.parametrize(
    ("minutes", "message"),
    [
        (-5, "at least 1 minute"),
        (0, "at least 1 minute"),
        (1441, "at most 1440 minutes"),
        ("ten", "whole number"),
        (2.5, "whole number"),
    ],
)
def test_it_refuses_absurd_minutes_and_saves_nothing(ticket, mof_agent, minutes, message):
    with pytest.raises(ValidationError) as refused:
        services.ticket_reply(
            ticket=ticket, author=mof_agent, body="Worked on it.", as_agent=True, minutes=minutes
        )
    assert message in " ".join(refused.value.messages)
    assert not TimeEntry.objects.exists()
    assert not TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.REPLY).exists()


def test_it_refuses_minutes_from_a_requester(ticket, french_requester):
    with pytest.raises(ValidationError, match="Only agents"):
        services.ticket_reply(ticket=ticket, author=french_requester, body="Merci", minutes=5)
    assert not TimeEntry.objects.exists()


def test_it_takes_no_minutes_as_none(ticket, mof_agent):
    services.ticket_reply(ticket=ticket, author=mof_agent, body="On it.", as_agent=True)
    assert minutes_check("") is None
    assert not TimeEntry.objects.exists()


def test_it_totals_time_per_agency(ticket, mof_agent, nicta, email_team_agent):
    ticket_time_record(ticket=ticket, agent=mof_agent, minutes=30)
    ticket_time_record(ticket=ticket, agent=mof_agent, minutes=15)
    services.ticket_transfer(ticket=ticket, to_agency=nicta, reason="Mail", actor=mof_agent)
    ticket_time_record(ticket=ticket, agent=email_team_agent, minutes=90)
    assert [(t["agency__code"], t["minutes"]) for t in ticket_time_totals(ticket)] == [
        ("NICTA", 90),
        ("MOF", 45),
    ]


def test_it_refuses_time_on_a_closed_ticket(ticket, mof_agent):
    services.ticket_update(ticket=ticket, actor=mof_agent, status=Ticket.Status.CLOSED)
    with pytest.raises(ValidationError, match="closed"):
        ticket_time_record(ticket=ticket, agent=mof_agent, minutes=10)
    assert not TimeEntry.objects.exists()


@pytest.fixture
def email_team_agent(nicta):
    from accounts.models import Role
    from tests.factories import MembershipFactory, UserFactory

    user = UserFactory(email="network@nicta.gov.test", full_name="Nicta Agent")
    MembershipFactory(user=user, agency=nicta, role=Role.AGENT)
    return user


def test_it_records_minutes_posted_with_a_reply_on_the_page(agent_client, ticket):
    response = agent_client.post(
        f"/tickets/{ticket.reference}/reply/", {"body": "Restarted it.", "minutes": "20"}
    )
    assert response.status_code == 302
    assert TimeEntry.objects.get().minutes == 20


def test_it_says_what_is_wrong_with_absurd_minutes_on_the_page(agent_client, ticket):
    response = agent_client.post(
        f"/tickets/{ticket.reference}/reply/", {"body": "Restarted it.", "minutes": "2000"}
    )
    assert response.status_code in (200, 400)
    assert "at most 1,440 minutes" in response.content.decode()
    assert not TimeEntry.objects.exists()


def test_it_shows_the_time_per_agency_on_the_ticket_page(agent_client, ticket, mof_agent):
    ticket_time_record(ticket=ticket, agent=mof_agent, minutes=95)
    page = agent_client.get(f"/tickets/{ticket.reference}/").content.decode()
    assert "1 h 35 min" in page


def test_it_hides_the_time_from_the_requester(client, ticket, mof_agent, french_requester):
    ticket_time_record(ticket=ticket, agent=mof_agent, minutes=95)
    client.force_login(french_requester)
    page = client.get(f"/tickets/{ticket.reference}/").content.decode()
    assert "1 h 35 min" not in page


def test_it_shows_time_by_category_and_agent_on_the_agency_dashboard(
    client, ticket, mof_agent, mof_head
):
    ticket_time_record(ticket=ticket, agent=mof_agent, minutes=50)
    ticket_time_record(ticket=ticket, agent=mof_head, minutes=20)
    client.force_login(mof_head)
    page = client.get("/dashboard/?period=7").content.decode()
    assert "Time spent by category" in page
    assert '<th scope="row">Computer and printer</th><td>1 h 10 min</td>' in page
    assert '<th scope="row">James Tarpeh</th><td>50 min</td>' in page


def test_it_shows_the_effort_of_shared_services_for_other_agencies_to_the_council(
    client, ticket, mof_agent, nicta, email_team_agent, council_member
):
    services.ticket_transfer(ticket=ticket, to_agency=nicta, reason="Mail", actor=mof_agent)
    ticket_time_record(ticket=ticket, agent=email_team_agent, minutes=125)
    client.force_login(council_member)
    page = client.get("/council/?period=7").content.decode()
    assert "Effort of shared-service agencies for other agencies" in page
    assert (
        '<th scope="row">National ICT Agency (NICTA)</th><td>Ministry of Finance (MOF)</td>'
        "<td>1</td><td>2 h 5 min</td>"
    ) in page
