"""Mail in: a forwarded request keeps the words it carries, and says whose they were."""

import pytest

from mail.inbound import inbound_handle, inbound_parse, inbound_text
from mail.models import InboundMessage
from tests.notifications.inbound_mail import mail
from tickets.models import TicketEvent

State = InboundMessage.State
pytest_plugins = ["tests.notifications.inbound_fixtures"]
pytestmark = pytest.mark.usefixtures("inbound_media")

ORIGINAL = "The printer on the second floor shows error 42.\nIt started this morning."

THUNDERBIRD = (
    "Can you look at this one?\n\n"
    "-------- Forwarded Message --------\n"
    "Subject: \tPrinter offline\n"
    "Date: \tMon, 3 Mar 2025 10:00:00 +0000\n"
    "From: \tJoseph Boakai <joseph@mof.gov.test>\n"
    "To: \tit@mof.gov.test\n\n" + ORIGINAL + "\n"
)
GMAIL = (
    "Can you look at this one?\n\n"
    "---------- Forwarded message ---------\n"
    "From: Joseph Boakai <joseph@mof.gov.test>\n"
    "Date: Mon, Mar 3, 2025 at 10:00\u202fAM\n"
    "Subject: Printer offline\n"
    "To: <it@mof.gov.test>\n\n\n" + ORIGINAL + "\n"
)
OUTLOOK = (
    "Can you look at this one?\n\n"
    "________________________________\n"
    "From: Joseph Boakai <joseph@mof.gov.test>\n"
    "Sent: Monday, March 3, 2025 10:00 AM\n"
    "To: IT <it@mof.gov.test>\n"
    "Subject: Printer offline\n\n" + ORIGINAL + "\n"
)
OUTLOOK_DESKTOP = (
    "Can you look at this one?\n\n"
    "-----Original Message-----\n"
    "From: Joseph Boakai <joseph@mof.gov.test>\n"
    "Sent: Monday, March 3, 2025 10:00 AM\n"
    "To: IT <it@mof.gov.test>\n"
    "Subject: Printer offline\n\n" + ORIGINAL + "\n"
)
APPLE = (
    "Can you look at this one?\n\n"
    "Begin forwarded message:\n\n"
    "From: Joseph Boakai <joseph@mof.gov.test>\n"
    "Subject: Printer offline\n"
    "Date: 3 March 2025 at 10:00:00 GMT\n"
    "To: it@mof.gov.test\n\n" + ORIGINAL + "\n"
)


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("Fwd: Printer offline", THUNDERBIRD),
        ("Fwd: Printer offline", GMAIL),
        ("FW: Printer offline", OUTLOOK),
        ("FW: Printer offline", OUTLOOK_DESKTOP),
        ("Fwd: Printer offline", APPLE),
        # The forward's marker is enough, whatever the subject says.
        ("Printer offline", THUNDERBIRD),
        ("Printer offline", GMAIL),
    ],
    ids=[
        "thunderbird",
        "gmail",
        "outlook",
        "outlook-desktop",
        "apple",
        "thunderbird-subject",
        "gmail-subject",
    ],
)
def test_it_keeps_the_forwarded_text_and_its_sender(mailbox, mof_requester, subject, body):
    record = inbound_handle(mail(subject=subject, body=body), mailbox=mailbox)
    assert record.state == State.PROCESSED
    description = record.ticket.description
    assert description.startswith("Can you look at this one?")
    assert ORIGINAL in description
    assert "[Forwarded message from Joseph Boakai <joseph@mof.gov.test>" in description
    assert record.ticket.requester == mof_requester


def test_it_keeps_both_texts_of_a_forward_of_a_forward(mailbox, mof_requester):
    inner = THUNDERBIRD.replace("Can you look at this one?", "Joseph's printer again.")
    body = (
        "Please take this over.\n\n"
        "---------- Forwarded message ---------\n"
        "From: Grace Wesseh <grace@mof.gov.test>\n"
        "Date: Tue, Mar 4, 2025 at 9:00\u202fAM\n"
        "Subject: Fwd: Printer offline\n"
        "To: <musu@mof.gov.test>\n\n" + inner
    )
    description = inbound_handle(
        mail(subject="Fwd: Fwd: Printer offline", body=body), mailbox=mailbox
    ).ticket.description
    assert description.startswith("Please take this over.")
    assert "Joseph's printer again." in description
    assert ORIGINAL in description
    assert "[Forwarded message from Grace Wesseh <grace@mof.gov.test>" in description
    assert "[Forwarded message from Joseph Boakai <joseph@mof.gov.test>" in description
    assert description.index("Grace Wesseh") < description.index("Joseph Boakai")


def test_it_drops_the_forwarders_signature_but_not_what_follows(mailbox, mof_requester):
    body = GMAIL.replace("Can you look at this one?", "Can you look at this one?\n-- \nMusu")
    description = inbound_handle(
        mail(subject="Fwd: Printer offline", body=body), mailbox=mailbox
    ).ticket.description
    assert "Musu" not in description.partition("[Forwarded")[0]
    assert ORIGINAL in description


def test_it_keeps_a_forward_without_words_of_its_own(mailbox, mof_requester):
    body = GMAIL.replace("Can you look at this one?\n\n", "")
    description = inbound_handle(
        mail(subject="Fwd: Printer offline", body=body), mailbox=mailbox
    ).ticket.description
    assert description.startswith("[Forwarded message from Joseph Boakai")
    assert ORIGINAL in description


def test_it_adds_a_forward_to_a_ticket_as_a_reply(mailbox, mof_requester, mof_ticket):
    record = inbound_handle(
        mail(subject=f"Fwd: [{mof_ticket.reference}] Payslip missing", body=THUNDERBIRD),
        mailbox=mailbox,
    )
    assert record.event.kind == TicketEvent.Kind.REPLY
    assert ORIGINAL in record.event.body
    assert "[Forwarded message from Joseph Boakai" in record.event.body


def test_it_still_strips_a_replys_quoted_forward():
    parsed = inbound_parse(
        mail(
            subject="Re: Printer offline",
            body="Done, thank you.\n\nOn Tue, 4 Mar 2025, Musu <musu@mof.gov.test> wrote:\n"
            + "".join(f"> {line}\n" for line in GMAIL.splitlines()),
        )
    )
    assert inbound_text(parsed) == "Done, thank you."


def test_it_still_strips_an_outlook_reply(mailbox):
    parsed = inbound_parse(mail(subject="RE: Printer offline", body=OUTLOOK))
    assert inbound_text(parsed) == "Can you look at this one?"


def test_it_keeps_text_that_only_mentions_forwarding():
    parsed = inbound_parse(
        mail(subject="Fwd: Printer", body="I forwarded the message to Joseph.\nFrom: floor 2")
    )
    assert inbound_text(parsed) == "I forwarded the message to Joseph.\nFrom: floor 2"
