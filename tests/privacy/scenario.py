"""A person with a trail through GovDesk, and a second person of the same agency beside them."""

from channels.models import PhoneNumber
from core.audit import audit_record
from privacy.access_log import access_log_flush
from tests.factories import MembershipFactory, UserFactory
from tickets import services

NAME = "Musu Kollie"
EMAIL = "requester@mof.gov.test"
PHONE = "+231777123456"
OTHER_NAME = "Kofi Mensah"
OTHER_EMAIL = "kofi@mof.gov.test"


def person_with_a_trail(*, client, committed, open_ticket, attach, musu, agent, moh):
    """Tickets, messages in both directions, a transfer, files, notices, mail, reads and an
    audit entry, all about Musu; and Kofi's own ticket in the same agency."""
    PhoneNumber.objects.create(user=musu, number=PHONE)
    kofi = UserFactory(email=OTHER_EMAIL, full_name=OTHER_NAME)
    MembershipFactory(user=kofi, agency=musu.memberships.get().agency, role="requester")
    with committed():
        ticket = open_ticket(
            musu,
            subject="Payslip missing",
            description=f"I am {NAME}, call me on 0777 123 456 or write to {EMAIL}.",
        )
        services.ticket_reply(ticket=ticket, author=musu, body="Any news? 0777-123-456")
        services.ticket_reply(
            ticket=ticket, author=agent, body=f"Hello {NAME}, we are on it.", as_agent=True
        )
        services.ticket_reply(
            ticket=ticket,
            author=agent,
            body=f"{NAME.upper()} called again.",
            internal=True,
            as_agent=True,
        )
        moved = open_ticket(musu, subject="Laptop slow", description="Slow since Monday.")
        services.ticket_transfer(ticket=moved, to_agency=moh, reason="Their laptop", actor=agent)
        other = open_ticket(kofi, subject="Kofi's printer", description=f"From {OTHER_NAME}.")
    attach(ticket, by=musu, name="id-card.txt", content=f"{NAME} {EMAIL}".encode())
    client.force_login(agent)
    client.get(f"/tickets/{ticket.reference}/")
    client.get("/queue/", {"q": NAME})
    client.force_login(musu)
    client.get(f"/tickets/{ticket.reference}/", REMOTE_ADDR="10.9.8.7")
    client.logout()
    access_log_flush()
    audit_record(actor=agent, action="member.changed", target=f"{NAME} <{EMAIL}>")
    return {"ticket": ticket, "moved": moved, "other": other, "kofi": kofi}
