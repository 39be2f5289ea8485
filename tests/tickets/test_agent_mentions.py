"""`@name` in an internal note tells that colleague; a name outside the ticket's agencies is
refused with the note unwritten."""

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Role
from mail.models import Outbox
from notifications.models import Notice
from tests.factories import MembershipFactory, UserFactory
from tickets import services
from tickets.mentions import mention_names
from tickets.models import TicketEvent


@pytest.fixture
def mof_colleague(mof):
    user = UserFactory(email="grace.weah@mof.gov.test", full_name="Grace Weah")
    MembershipFactory(user=user, agency=mof, role=Role.AGENT)
    return user


@pytest.fixture
def ticket(mof_requester, printer_category, open_ticket, mof_service_desk):
    return open_ticket(mof_requester, printer_category, subject="Printer offline")


def note(ticket, author, body):
    return services.ticket_reply(
        ticket=ticket, author=author, body=body, internal=True, as_agent=True
    )


def test_it_reads_names_but_not_addresses():
    body = "@grace.weah see this. Mail bob@mof.gov.test, (@ann) and @x@moh.gov.test."
    assert mention_names(body) == ["grace.weah", "ann", "x@moh.gov.test"]


def test_it_tells_the_colleague_named_in_a_note(committed, mof_agent, mof_colleague, ticket):
    with committed():
        event = note(ticket, mof_agent, "@grace.weah can you check the toner?")
    assert event.data["mentions"] == [mof_colleague.pk]
    notice = Notice.objects.get(user=mof_colleague, kind="mentioned")
    assert (
        notice.text
        == f"James Tarpeh mentioned you in a note on {ticket.reference}: Printer offline"
    )
    sent = Outbox.objects.get(to_address=mof_colleague.email)
    assert "toner" not in sent.body_text  # the note's words stay on the ticket


def test_it_refuses_someone_outside_the_tickets_agencies(mof_agent, moh_agent, ticket):
    with pytest.raises(ValidationError) as error:
        note(ticket, mof_agent, "@agent@moh.gov.test have a look")
    assert "is not staff of an agency that handles or handled this ticket" in str(error.value)
    assert not ticket.events.filter(kind=TicketEvent.Kind.NOTE).exists()


def test_it_refuses_a_requester_of_the_same_agency(mof_agent, mof_requester, ticket):
    with pytest.raises(ValidationError):
        note(ticket, mof_agent, "@requester please")


def test_it_accepts_the_staff_of_an_agency_that_held_the_ticket(
    committed, mof, moh, moh_agent, moh_requester, printer_category, open_ticket
):
    held = open_ticket(moh_requester, printer_category, subject="Came through MOH")
    services.ticket_transfer(ticket=held, to_agency=mof, reason="Yours", actor=moh_agent)
    mof_person = UserFactory(email="lead@mof.gov.test", full_name="MOF Lead")
    MembershipFactory(user=mof_person, agency=mof, role=Role.AGENT)
    with committed():
        event = note(held, mof_person, "@agent@moh.gov.test why did this come to us?")
    assert event.data["mentions"] == [moh_agent.pk]
    assert Notice.objects.filter(user=moh_agent, kind="mentioned").exists()


def test_it_asks_for_the_whole_address_when_two_people_share_a_name(
    mof, moh, mof_agent, moh_agent, moh_requester, printer_category, open_ticket
):
    held = open_ticket(moh_requester, printer_category, subject="Shared")
    services.ticket_transfer(ticket=held, to_agency=mof, reason="Yours", actor=moh_agent)
    with pytest.raises(ValidationError) as error:
        note(held, mof_agent, "@agent look")
    assert "names several people: write the whole address" in str(error.value)


def test_it_mentions_nobody_in_a_public_reply(committed, mof_agent, mof_colleague, ticket):
    with committed():
        event = services.ticket_reply(
            ticket=ticket, author=mof_agent, body="@nobody.here thanks", as_agent=True
        )
    assert "mentions" not in event.data
    assert not Notice.objects.filter(kind="mentioned").exists()


def test_it_shows_the_refusal_on_the_form_and_keeps_the_text(client, mof_agent, ticket):
    client.force_login(mof_agent)
    response = client.post(
        f"/tickets/{ticket.reference}/reply/",
        {"body": "@someone.else check", "internal": "on"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "@someone.else is not staff of an agency" in html
    assert "@someone.else check</textarea>" in html
    assert not ticket.events.filter(kind=TicketEvent.Kind.NOTE).exists()
