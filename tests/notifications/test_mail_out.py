"""E-mail out, through Django's SMTP backend to a real SMTP server (aiosmtpd on loopback)."""

import pytest

from mail.models import InboundMailbox, Outbox
from tickets import services

pytestmark = pytest.mark.usefixtures("mail_to_smtp", "service_desk")

ROOT = "<ticket-mof-000001@localhost>"


def parts(message) -> dict[str, str]:
    """The text of each part of a message, by content type."""
    return {
        part.get_content_type(): part.get_content()
        for part in message.walk()
        if not part.is_multipart()
    }


def test_it_names_the_ticket_in_the_subject(open_ticket, deliver_all, smtp_server):
    open_ticket()
    assert deliver_all() == 3  # the team's two, the requester's acknowledgement
    [message] = smtp_server.messages_to("agent@mof.gov.test")
    assert message["Subject"] == "[MOF-000001] Printer offline"
    assert message["To"] == "agent@mof.gov.test"
    assert message["From"] == "GovDesk <govdesk@localhost>"


def test_it_sends_a_text_and_an_html_part(
    open_ticket, deliver_all, smtp_server, mof_agent, committed
):
    ticket = open_ticket()
    with committed():
        services.ticket_reply(
            ticket=ticket, author=mof_agent, body="Restart it with **both** buttons.",
            as_agent=True,
        )  # fmt: skip
    deliver_all()
    [_acknowledgement, message] = smtp_server.messages_to("requester@mof.gov.test")
    assert message.get_content_type() == "multipart/alternative"
    bodies = parts(message)
    assert set(bodies) == {"text/plain", "text/html"}
    assert "James Tarpeh replied to MOF-000001: Printer offline" in bodies["text/plain"]
    assert "Restart it with **both** buttons." in bodies["text/plain"]
    assert "http://127.0.0.1:8000/tickets/MOF-000001/" in bodies["text/plain"]
    assert "<strong>both</strong>" in bodies["text/html"]
    assert '<a href="http://127.0.0.1:8000/tickets/MOF-000001/">' in bodies["text/html"]


def test_it_threads_every_message_of_a_ticket_under_one_root(
    open_ticket, deliver_all, smtp_server, mof_agent, committed
):
    ticket = open_ticket()
    with committed():
        services.ticket_assign(ticket=ticket, assignee=mof_agent, actor=mof_agent)
        services.ticket_reply(ticket=ticket, author=ticket.requester, body="It smokes now.")
    # The team's two about the ticket, the requester's acknowledgement, the assignee's about
    # the reply.
    assert deliver_all() == 4
    messages = smtp_server.messages_to("agent@mof.gov.test")
    assert len(messages) == 2
    assert {m["In-Reply-To"] for m in messages} == {ROOT}
    assert {m["References"] for m in messages} == {ROOT}
    message_ids = {m["Message-ID"] for m in messages}
    assert len(message_ids) == 2
    assert ROOT not in message_ids
    assert message_ids <= set(Outbox.objects.values_list("message_id", flat=True))


def test_it_marks_every_message_as_sent_by_a_machine(open_ticket, deliver_all, smtp_server):
    open_ticket()
    deliver_all()
    for message in smtp_server.messages():
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["X-Auto-Response-Suppress"] == "OOF, AutoReply"
        assert message["X-GovDesk-Ticket"] == "MOF-000001"


@pytest.fixture
def mof_help_mailbox(mof):
    return InboundMailbox.objects.create(
        agency=mof, address="help@mof.gov.test", imap_host="127.0.0.1", username="help"
    )


def test_it_asks_for_replies_at_the_agencys_inbound_address(
    open_ticket, deliver_all, smtp_server, mof_help_mailbox
):
    open_ticket()
    deliver_all()
    [message] = smtp_server.messages_to("agent@mof.gov.test")
    assert message["Reply-To"] == "help@mof.gov.test"
    assert "Reply above this line to add to the ticket." in parts(message)["text/plain"]


def test_it_says_replies_are_not_read_where_the_agency_has_no_inbound_address(
    open_ticket, deliver_all, smtp_server, mof_help_mailbox
):
    mof_help_mailbox.is_active = False
    mof_help_mailbox.save(update_fields=["is_active"])
    open_ticket()
    deliver_all()
    [message] = smtp_server.messages_to("agent@mof.gov.test")
    assert message["Reply-To"] is None
    text = parts(message)["text/plain"]
    assert "Replies to this e-mail are not read: answer on the ticket's page." in text
    assert "Reply above this line" not in text


def test_it_writes_in_the_recipients_language(
    open_ticket, deliver_all, smtp_server, mof_agent, mof_requester, committed
):
    mof_requester.preferred_language = "fr"
    mof_requester.save(update_fields=["preferred_language"])
    ticket = open_ticket()
    with committed():
        services.ticket_reply(ticket=ticket, author=mof_agent, body="Bonjour.", as_agent=True)
    deliver_all()
    [_acknowledgement, french] = smtp_server.messages_to("requester@mof.gov.test")
    [english] = smtp_server.messages_to("agent2@mof.gov.test")
    text = parts(french)["text/plain"]
    # French puts a no-break space before a colon.
    assert "James Tarpeh a répondu à MOF-000001\N{NO-BREAK SPACE}: Printer offline" in text
    assert "Voir le ticket\N{NO-BREAK SPACE}:" in text
    # Declared too, for mail clients and screen readers.
    assert french["Content-Language"] == "fr"
    assert '<html lang="fr">' in parts(french)["text/html"]
    assert english["Content-Language"] == "en"
    assert '<html lang="en">' in parts(english)["text/html"]
    assert "See the ticket:" in parts(english)["text/plain"]


def test_it_never_mails_an_internal_note(
    open_ticket, deliver_all, smtp_server, mof_agent, committed
):
    ticket = open_ticket()
    deliver_all()
    before = len(smtp_server.envelopes)
    with committed():
        services.ticket_reply(
            ticket=ticket, author=mof_agent, body="Budget code 7731 is frozen.", internal=True,
            as_agent=True,
        )  # fmt: skip
    assert deliver_all() == 0
    assert len(smtp_server.envelopes) == before
    assert all(b"7731" not in envelope.original_content for envelope in smtp_server.envelopes)


def test_it_keeps_a_line_break_in_a_subject_out_of_the_header(
    open_ticket, deliver_all, smtp_server
):
    # Tickets also come from e-mail and the API, where nothing stops a line break.
    open_ticket(subject="Printer offline\nBcc: someone@example.test")
    assert deliver_all() == 3
    [message] = smtp_server.messages_to("agent@mof.gov.test")
    assert message["Subject"] == "[MOF-000001] Printer offline Bcc: someone@example.test"
    assert message["Bcc"] is None
    assert all(e.rcpt_tos != ["someone@example.test"] for e in smtp_server.envelopes)
