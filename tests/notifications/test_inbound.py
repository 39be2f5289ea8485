"""Mail in: one raw message becomes a reply, a new ticket, or a kept record of why not."""

import io
import os
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from accounts.models import Membership, Role, User
from core.models import AuditEntry
from mail import inbound
from mail.inbound import (
    inbound_discard,
    inbound_handle,
    inbound_release,
    strip_quoted,
)
from mail.models import InboundMailbox, InboundMessage, MailboxPasswordUnreadable
from notifications.services import agency_reply_address
from tests.notifications.inbound_mail import PDF, mail
from tickets import services as ticket_services
from tickets.models import Attachment, Category, Ticket, TicketEvent

State = InboundMessage.State
Reason = InboundMessage.Reason
BASE_DIR = Path(__file__).resolve().parent.parent.parent
pytest_plugins = ["tests.notifications.inbound_fixtures"]


@pytest.fixture(autouse=True)
def _media(inbound_media):
    return inbound_media


# -- New tickets ------------------------------------------------------------------------------


def test_it_opens_a_ticket_for_a_known_requester(mailbox, mof_requester, mof_category):
    record = inbound_handle(
        mail(sender="MUSU KOLLIE <Requester@MOF.gov.test>", body="It is offline.\n-- \nMusu\n"),
        mailbox=mailbox,
    )
    assert record.state == State.PROCESSED
    ticket = record.ticket
    assert ticket.requester == mof_requester
    assert ticket.agency.code == "MOF"
    assert ticket.requester_agency.code == "MOF"
    assert ticket.category == mof_category
    assert ticket.channel == Ticket.Channel.EMAIL
    assert ticket.subject == "Printer offline"
    assert ticket.description == "It is offline."
    assert record.event.kind == TicketEvent.Kind.CREATED
    assert record.sender == "requester@mof.gov.test"


def test_it_prefers_the_category_the_mailbox_names(mailbox, mof, mof_requester):
    network = Category.objects.create(name="Network", slug="mof-network", agency=mof)
    mailbox.default_category = network
    mailbox.save(update_fields=["default_category"])
    assert inbound_handle(mail(), mailbox=mailbox).ticket.category == network


def test_it_uses_a_government_wide_category_when_the_agency_has_none(mof, mof_requester):
    shared = Category.objects.create(name="Computer and printer", slug="computer-and-printer")
    box = InboundMailbox.objects.create(
        agency=mof, address="desk@mof.gov.test", imap_host="x", username="x"
    )
    assert inbound_handle(mail(), mailbox=box).ticket.category == shared


def test_it_quarantines_when_no_category_fits(mof, mof_requester):
    box = InboundMailbox.objects.create(
        agency=mof, address="desk@mof.gov.test", imap_host="x", username="x"
    )
    record = inbound_handle(mail(), mailbox=box)
    assert record.state == State.QUARANTINED
    assert record.reason_code == Reason.NO_CATEGORY
    assert "MOF has no active category" in record.reason
    assert not Ticket.objects.exists()


def test_it_quarantines_a_stranger_when_the_mailbox_takes_only_known_people(mailbox):
    record = inbound_handle(mail(sender="someone@example.test"), mailbox=mailbox)
    assert record.state == State.QUARANTINED
    assert record.reason_code == Reason.UNKNOWN_SENDER
    assert "someone@example.test has no GovDesk account" in record.reason
    assert not User.objects.filter(email="someone@example.test").exists()


def test_it_makes_a_stranger_a_requester_when_the_mailbox_allows(mailbox, mof):
    mailbox.allow_new_requesters = True
    mailbox.save(update_fields=["allow_new_requesters"])
    record = inbound_handle(mail(sender="New Person <new@mof.gov.test>"), mailbox=mailbox)
    assert record.state == State.PROCESSED
    user = User.objects.get(email="new@mof.gov.test")
    assert user.full_name == "New Person"
    assert not user.has_usable_password()
    assert Membership.objects.get(user=user).role == Role.REQUESTER
    assert record.ticket.requester == user
    assert record.ticket.requester_agency == mof


def test_it_quarantines_a_sender_whose_account_is_inactive(mailbox, mof_requester):
    mof_requester.is_active = False
    mof_requester.save(update_fields=["is_active"])
    record = inbound_handle(mail(), mailbox=mailbox)
    assert record.reason_code == Reason.INACTIVE_SENDER


def test_it_opens_a_ticket_in_the_senders_agency_when_piped_without_a_mailbox(
    mof_requester, mof_category
):
    record = inbound_handle(mail())
    assert record.mailbox is None
    assert record.ticket.agency.code == "MOF"


# -- Replies ----------------------------------------------------------------------------------


def test_it_replies_when_the_subject_carries_the_reference(mailbox, mof_requester, mof_ticket):
    body = (
        "It works again, thank you.\n\n"
        "On Mon, 3 Mar 2025 at 10:00, GovDesk <govdesk@localhost> wrote:\n"
        "> James Tarpeh replied to MOF-000001\n"
    )
    record = inbound_handle(
        mail(subject=f"Re: [{mof_ticket.reference}] Payslip missing", body=body), mailbox=mailbox
    )
    assert record.state == State.PROCESSED
    assert record.ticket == mof_ticket
    assert record.event.kind == TicketEvent.Kind.REPLY
    assert record.event.actor == mof_requester
    assert record.event.body == "It works again, thank you."
    assert record.event.data["by_agent"] is False


def test_it_replies_when_in_reply_to_names_our_thread(mailbox, mof_requester, mof_ticket):
    ours = f"<ticket-mof-000001-5-{mof_requester.pk}@{settings.GOVDESK_MAIL_DOMAIN}>"
    raw = mail(subject="Re: your ticket", body="Still broken.", headers={"In-Reply-To": ours})
    record = inbound_handle(raw, mailbox=mailbox)
    assert (record.ticket, record.event.body) == (mof_ticket, "Still broken.")


def test_it_replies_as_the_agent_of_the_handling_agency(mailbox, mof_agent, mof_ticket):
    record = inbound_handle(
        mail(sender="agent@mof.gov.test", subject="Re: [MOF-000001] Payslip", body="On it."),
        mailbox=mailbox,
    )
    assert record.event.data["by_agent"] is True
    mof_ticket.refresh_from_db()
    assert mof_ticket.first_response_at is not None
    assert mof_ticket.status == Ticket.Status.OPEN


def test_it_lets_a_watcher_reply(mailbox, mof_ticket, moh_requester):
    mof_ticket.watchers.add(moh_requester)
    record = inbound_handle(
        mail(sender="requester@moh.gov.test", subject="[MOF-000001]", body="Same here."),
        mailbox=mailbox,
    )
    assert record.state == State.PROCESSED
    assert record.event.actor == moh_requester


def test_it_quarantines_a_stranger_replying_to_someone_elses_ticket(mailbox, mof_ticket):
    raw = mail(sender="stranger@example.test", subject="Re: [MOF-000001] Payslip")
    record = inbound_handle(raw, mailbox=mailbox)
    assert record.state == State.QUARANTINED
    assert record.reason == "stranger@example.test may not reply to MOF-000001."
    assert bytes(record.raw) == raw
    assert not mof_ticket.events.filter(kind=TicketEvent.Kind.REPLY).exists()


def test_it_quarantines_a_known_person_replying_to_anothers_ticket(
    mailbox, mof_ticket, moh_requester
):
    record = inbound_handle(
        mail(sender="requester@moh.gov.test", subject="[MOF-000001] Payslip"), mailbox=mailbox
    )
    assert record.reason == "requester@moh.gov.test may not reply to MOF-000001."


def test_it_treats_another_systems_reference_as_a_new_ticket(mailbox, mof_requester):
    record = inbound_handle(mail(subject="[JIRA-000042] Printer offline"), mailbox=mailbox)
    assert record.state == State.PROCESSED
    assert record.event.kind == TicketEvent.Kind.CREATED


def test_it_opens_a_follow_up_for_a_reply_to_a_closed_ticket(
    mailbox, mof_requester, mof_agent, mof_ticket
):
    ticket_services.ticket_update(ticket=mof_ticket, actor=mof_agent, status="closed")
    record = inbound_handle(
        mail(subject="Re: [MOF-000001] Payslip", body="Again."), mailbox=mailbox
    )
    assert record.state == State.PROCESSED
    assert record.ticket != mof_ticket
    assert "[Follow-up to MOF-000001, which is closed]" in record.ticket.description
    assert record.ticket.subject == "Payslip"


# -- Loops and automatic mail -----------------------------------------------------------------


def test_it_ignores_its_own_notification_coming_back(mailbox, mof_requester, mof_ticket):
    domain = settings.GOVDESK_MAIL_DOMAIN
    raw = mail(
        sender=settings.DEFAULT_FROM_EMAIL,
        subject="[MOF-000001] Payslip missing",
        message_id=f"<ticket-mof-000001-9-{mof_requester.pk}@{domain}>",
        headers={"X-GovDesk-Ticket": "MOF-000001", "References": f"<ticket-mof-000001@{domain}>"},
    )
    record = inbound_handle(raw, mailbox=mailbox)
    assert record.state == State.IGNORED
    assert record.reason_code == Reason.LOOP
    assert mof_ticket.events.count() == 1


def test_it_ignores_a_message_from_its_own_mailbox_address(mailbox):
    record = inbound_handle(mail(sender="help@mof.gov.test"), mailbox=mailbox)
    assert (record.state, record.reason_code) == (State.IGNORED, Reason.LOOP)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Auto-Submitted": "auto-replied"}, "Auto-Submitted: auto-replied."),
        ({"X-Autoreply": "yes"}, "It carries X-Autoreply: an automatic reply."),
        ({"X-Autorespond": "Out of office"}, "It carries X-Autorespond: an automatic reply."),
        ({"Precedence": "bulk"}, "Precedence: bulk."),
        ({"Precedence": "junk"}, "Precedence: junk."),
        ({"Precedence": "list"}, "Precedence: list."),
        ({"List-Id": "<staff.mof.gov.test>"}, "It carries List-Id: mail from a mailing list."),
        ({"List-Unsubscribe": "<mailto:u@x.test>"}, "It carries List-Unsubscribe: mail from"),
        ({"Return-Path": "<>"}, "It has a null sender (Return-Path: <>)."),
    ],
)
def test_it_ignores_automatic_mail(mailbox, mof_requester, headers, reason):
    record = inbound_handle(mail(headers=headers), mailbox=mailbox)
    assert record.state == State.IGNORED
    assert record.reason.startswith(reason)
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.mof.gov.test", "postmaster@mof.gov.test"])
def test_it_ignores_mail_servers_reports(mailbox, sender):
    record = inbound_handle(mail(sender=sender, subject="Undelivered Mail"), mailbox=mailbox)
    assert (record.state, record.reason_code) == (State.IGNORED, Reason.BOUNCE)


def test_it_ignores_a_delivery_status_report(mailbox, mof_requester):
    raw = (
        b"From: requester@mof.gov.test\r\nSubject: Delivery Status Notification (Failure)\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="R"\r\n\r\n'
        b"--R\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        b"--R\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.mof.gov.test\r\n\r\nFinal-Recipient: rfc822; x@y.test\r\n"
        b"Action: failed\r\n--R--\r\n"
    )
    record = inbound_handle(raw, mailbox=mailbox)
    assert (record.state, record.reason_code) == (State.IGNORED, Reason.BOUNCE)


def test_it_handles_a_message_that_says_auto_submitted_no(mailbox, mof_requester):
    record = inbound_handle(mail(headers={"Auto-Submitted": "no"}), mailbox=mailbox)
    assert record.state == State.PROCESSED


# -- Duplicates -------------------------------------------------------------------------------


def test_it_records_a_duplicate_once_and_acts_once(mailbox, mof_requester):
    raw = mail(message_id="<same@mail.test>")
    first = inbound_handle(raw, mailbox=mailbox)
    second = inbound_handle(raw, mailbox=mailbox)
    assert (first.duplicate, second.duplicate) == (False, True)
    assert second.pk == first.pk
    assert InboundMessage.objects.count() == 1
    assert Ticket.objects.count() == 1


def test_it_knows_a_duplicate_without_message_id_by_its_bytes(mailbox, mof_requester):
    raw = mail().replace(b"Message-ID:", b"X-Old-Id:")
    assert inbound_handle(raw, mailbox=mailbox).message_id == ""
    assert inbound_handle(raw, mailbox=mailbox).duplicate is True
    assert Ticket.objects.count() == 1


# -- Bad input --------------------------------------------------------------------------------


def test_it_quarantines_a_message_without_sender(mailbox):
    raw = mail(sender=None)
    record = inbound_handle(raw, mailbox=mailbox)
    assert (record.state, record.reason_code) == (State.QUARANTINED, Reason.NO_SENDER)
    assert record.reason == "The message has no sender address (From)."
    assert bytes(record.raw) == raw


@pytest.mark.parametrize(
    "raw",
    [
        # A multipart with no boundary at all.
        b"From: requester@mof.gov.test\r\nSubject: No boundary\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed\r\n\r\nThe scanner jams.\r\n",
        # A closing boundary that never comes, and a part in broken base64.
        b"From: requester@mof.gov.test\r\nSubject: Cut short\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="XX"\r\n\r\n--XX\r\n'
        b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!@@@\r\n--XX\r\n"
        b"Content-Type: text/plain\r\n\r\nThe scanner jams.\r\n",
        # No header/body separator, NUL bytes and 8-bit junk in the headers.
        b"From: requester@mof.gov.test\r\nSubject: caf\xe9 \x00 menu\r\nThe scanner jams.\x00\xff",
        # Not an e-mail at all.
        bytes(range(256)) * 20,
        b"",
    ],
    ids=["no-boundary", "unterminated", "junk-headers", "binary", "empty"],
)
def test_it_keeps_malformed_mime_without_crashing(mailbox, mof_requester, raw):
    record = inbound_handle(raw, mailbox=mailbox)
    record.refresh_from_db()
    assert bytes(record.raw) == raw
    assert record.state in (State.PROCESSED, State.QUARANTINED)
    if record.state == State.QUARANTINED:
        assert record.reason


def test_it_reads_the_text_of_a_multipart_without_boundary(mailbox, mof_requester):
    raw = (
        b"From: requester@mof.gov.test\r\nSubject: No boundary\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed\r\n\r\nThe scanner jams.\r\n"
    )
    assert inbound_handle(raw, mailbox=mailbox).ticket.description == "The scanner jams."


def test_it_decodes_an_unknown_charset_with_replacement(mailbox, mof_requester):
    raw = (
        b"From: requester@mof.gov.test\r\nSubject: =?x-klingon?q?caf=E9?=\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=x-klingon\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        b"Le caf\xe9 est ferm\xe9.\r\n"
    )
    record = inbound_handle(raw, mailbox=mailbox)
    assert record.state == State.PROCESSED
    assert record.ticket.description == "Le caf\ufffd est ferm\ufffd."
    assert record.subject.startswith("caf")


def test_it_quarantines_a_30_mb_attachment_and_writes_nothing(mailbox, mof_requester, _media):
    big = PDF + b"\x00" * (30 * 1024 * 1024)
    raw = mail(attachments=[("scan.pdf", big, "application/pdf")])
    record = inbound_handle(raw, mailbox=mailbox)
    assert record.state == State.QUARANTINED
    assert record.reason_code == Reason.ATTACHMENT_REFUSED
    assert "scan.pdf is 30.0" in record.reason
    assert "at most 10.0\xa0MB" in record.reason
    assert not Ticket.objects.exists()
    assert not Attachment.objects.exists()
    assert not _media.exists() or not any(_media.rglob("*"))
    assert InboundMessage.objects.get(pk=record.pk).size == len(raw)


def test_it_quarantines_a_message_larger_than_it_reads(settings, mailbox, mof_requester):
    settings.INBOUND_MAX_MESSAGE_BYTES = 1024
    raw = mail(attachments=[("scan.pdf", PDF + b"x" * 2000, "application/pdf")])
    record = inbound_handle(raw, mailbox=mailbox)
    assert record.reason_code == Reason.TOO_LARGE


def test_it_quarantines_a_file_it_does_not_accept_and_creates_no_one(mailbox):
    mailbox.allow_new_requesters = True
    mailbox.save(update_fields=["allow_new_requesters"])
    raw = mail(
        sender="new@mof.gov.test",
        attachments=[("setup.exe", b"MZ\x90\x00", "application/octet-stream")],
    )
    record = inbound_handle(raw, mailbox=mailbox)
    assert record.reason_code == Reason.ATTACHMENT_REFUSED
    assert "setup.exe is a kind of file GovDesk does not accept" in record.reason
    assert not User.objects.filter(email="new@mof.gov.test").exists()


def test_it_attaches_accepted_files_to_the_new_ticket(mailbox, mof_requester):
    raw = mail(body="", attachments=[("scan.pdf", PDF, "application/pdf")])
    record = inbound_handle(raw, mailbox=mailbox)
    attachment = Attachment.objects.get()
    assert (attachment.ticket, attachment.event) == (record.ticket, record.event)
    assert attachment.name == "scan.pdf"
    assert record.ticket.description == "[Sent by e-mail with attachments only]"


def test_it_attaches_accepted_files_to_a_reply(mailbox, mof_requester, mof_ticket):
    raw = mail(subject="[MOF-000001]", attachments=[("log.txt", b"error 42", "text/plain")])
    record = inbound_handle(raw, mailbox=mailbox)
    assert Attachment.objects.get().event == record.event


def test_it_quarantines_a_message_with_no_text_and_no_files(mailbox, mof_requester):
    record = inbound_handle(mail(body="> only what they quoted\n"), mailbox=mailbox)
    assert record.reason_code == Reason.NO_TEXT


def test_it_reads_an_html_only_message_as_text(mailbox, mof_requester):
    message = EmailMessage()
    message["From"] = "requester@mof.gov.test"
    message["Subject"] = "Screen"
    message.set_content(
        "<html><head><title>t</title><style>p{}</style></head><body><p>The screen&nbsp;is "
        "<b>black</b>.</p><script>alert(1)</script><blockquote>old</blockquote></body></html>",
        subtype="html",
    )
    record = inbound_handle(message.as_bytes(), mailbox=mailbox)
    assert record.ticket.description == "The screen is black."


def test_it_keeps_the_message_when_handling_fails_unexpectedly(mailbox, mof_requester, monkeypatch):
    def broken(**fields):
        User.objects.create_user(email="half@written.test")
        raise RuntimeError("a bug")

    monkeypatch.setattr(inbound.ticket_attachments, "ticket_create_with_attachments", broken)
    record = inbound_handle(mail(), mailbox=mailbox)
    assert (record.state, record.reason_code) == (State.QUARANTINED, Reason.ERROR)
    assert "RuntimeError" in record.reason
    assert not User.objects.filter(email="half@written.test").exists()


# -- Quoted history ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Thanks, fixed.\n\nOn Tue, 4 Mar 2025, GovDesk <govdesk@localhost> wrote:\n> old\n",
        "Thanks, fixed.\n\nOn Tue, 4 Mar 2025 at 09:12, James Tarpeh\n<agent@mof.gov.test>\n"
        "wrote:\n",
        "Thanks, fixed.\n\n-----Original Message-----\nFrom: GovDesk\nSent: Monday\nold text\n",
        "Thanks, fixed.\n\n________________________________\nFrom: GovDesk\nSent: Monday\n",
        "Thanks, fixed.\n\nFrom: GovDesk <govdesk@localhost>\nSent: Monday, 3 March 2025\nold\n",
        "Thanks, fixed.\n> quoted\n>> more\n",
        "Thanks, fixed.\n-- \nMusu Kollie\nMinistry of Finance\n",
        "Thanks, fixed.\n\nGovDesk, for Ministry of Finance. Reply above this line to add.\n",
        "Thanks, fixed.\n\nLe mar. 4 mars 2025 à 09:12, GovDesk <govdesk@localhost> a écrit :\n",
    ],
)
def test_it_strips_quoted_history_and_signatures(text):
    assert strip_quoted(text) == "Thanks, fixed."


def test_it_keeps_lines_that_only_look_like_history():
    text = "On Monday the printer failed.\nFrom: the second floor, it jams."
    assert strip_quoted(text) == text


# -- Release and discard ----------------------------------------------------------------------


def test_it_releases_a_stranger_as_a_new_requester(mailbox, mof, mof_head):
    record = inbound_handle(mail(sender="visitor@mof.gov.test"), mailbox=mailbox)
    released = inbound_release(message=record, actor=mof_head)
    assert released.state == State.RELEASED
    assert released.ticket.requester.email == "visitor@mof.gov.test"
    assert released.handled_by == mof_head
    assert released.released_reasons == [Reason.UNKNOWN_SENDER]
    entry = AuditEntry.objects.get(action="inbound.released")
    assert (entry.actor, entry.agency) == (mof_head, mof)


def test_it_releases_a_forbidden_reply_as_a_new_ticket_not_a_reply(
    mailbox, mof_head, mof_ticket, public_category
):
    record = inbound_handle(
        mail(sender="stranger@example.test", subject="Re: [MOF-000001] x"), mailbox=mailbox
    )
    released = inbound_release(message=record, actor=mof_head)
    assert released.state == State.RELEASED
    assert released.ticket != mof_ticket
    assert released.ticket.requester.email == "stranger@example.test"
    assert not mof_ticket.events.filter(kind=TicketEvent.Kind.REPLY).exists()


def test_it_releases_a_refused_file_by_leaving_it_with_the_email(mailbox, mof_requester, mof_head):
    raw = mail(
        body="See attached.",
        attachments=[
            ("setup.exe", b"MZ\x90\x00", "application/octet-stream"),
            ("scan.pdf", PDF, "application/pdf"),
        ],
    )
    record = inbound_handle(raw, mailbox=mailbox)
    released = inbound_release(message=record, actor=mof_head)
    assert released.state == State.RELEASED
    assert "[Attachments not accepted, kept with the e-mail: setup.exe]" in (
        released.ticket.description
    )
    assert list(Attachment.objects.values_list("name", flat=True)) == ["scan.pdf"]


def test_it_keeps_holding_a_message_whose_other_problem_remains(mof, mof_head, mof_requester):
    box = InboundMailbox.objects.create(
        agency=mof, address="desk@mof.gov.test", imap_host="x", username="x"
    )
    record = inbound_handle(mail(), mailbox=box)
    released = inbound_release(message=record, actor=mof_head)
    assert (released.state, released.reason_code) == (State.QUARANTINED, Reason.NO_CATEGORY)


def test_it_refuses_to_release_what_is_not_quarantined(mailbox, mof_requester, mof_head):
    record = inbound_handle(mail(), mailbox=mailbox)
    with pytest.raises(ValidationError):
        inbound_release(message=record, actor=mof_head)
    with pytest.raises(ValidationError):
        inbound_discard(message=record, actor=mof_head)


def test_it_discards_and_keeps_the_bytes(mailbox, mof_head):
    raw = mail(sender="someone@example.test")
    record = inbound_discard(message=inbound_handle(raw, mailbox=mailbox), actor=mof_head)
    record.refresh_from_db()
    assert record.state == State.DISCARDED
    assert bytes(record.raw) == raw
    assert AuditEntry.objects.filter(action="inbound.discarded").exists()


# -- Quarantine pages -------------------------------------------------------------------------


@pytest.fixture
def held(mailbox, moh, public_category):
    """A quarantined message in MOF's mailbox, one in MOH's, and one piped in."""
    moh_box = InboundMailbox.objects.create(
        agency=moh, address="help@moh.gov.test", imap_host="x", username="x"
    )
    return {
        "mof": inbound_handle(mail(sender="a@example.test", subject="MOF held"), mailbox=mailbox),
        "moh": inbound_handle(mail(sender="b@example.test", subject="MOH held"), mailbox=moh_box),
        "piped": inbound_handle(mail(sender="c@example.test", subject="Piped held")),
    }


def test_it_lists_the_agencys_quarantine_in_a_fixed_number_of_queries(
    client, mof_head, held, django_assert_num_queries
):
    for n in range(3):
        inbound_handle(mail(sender=f"x{n}@example.test"), mailbox=held["mof"].mailbox)
    client.force_login(mof_head)
    # 1 session, 1 user, 1 memberships (header), 1 count, 1 unread notices (header),
    # 1 page of messages with their mailboxes and tickets.
    with django_assert_num_queries(6):
        response = client.get("/inbound/")
    page = response.content.decode()
    assert "MOF held" in page
    assert "a@example.test has no GovDesk account" in page
    assert "MOH held" not in page
    assert "Piped held" not in page


def test_it_lists_every_quarantine_to_a_platform_admin(client, platform_admin, held):
    client.force_login(platform_admin)
    page = client.get("/inbound/").content.decode()
    assert all(subject in page for subject in ("MOF held", "MOH held", "Piped held"))


def test_it_refuses_the_list_to_people_who_are_not_admins(client, mof_agent):
    client.force_login(mof_agent)
    assert client.get("/inbound/").status_code == 403


def test_it_shows_a_message_escaped_in_a_fixed_number_of_queries(
    client, mof_head, mailbox, django_assert_num_queries
):
    raw = mail(
        sender="x@example.test",
        subject="<img src=x onerror=alert(1)>",
        body="<script>alert('body')</script>",
        html="<p>Rendered <b>bold</b></p><script>alert('html')</script>",
    )
    record = inbound_handle(raw, mailbox=mailbox)
    client.force_login(mof_head)
    # 1 session, 1 user, 1 memberships (header), 1 message with its mailbox and ticket,
    # 1 unread notices (header).
    with django_assert_num_queries(5):
        response = client.get(f"/inbound/{record.pk}/")
    page = response.content.decode()
    assert "&lt;script&gt;alert(&#x27;body&#x27;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script>alert" not in page
    assert "<b>bold</b>" not in page


def test_it_downloads_the_raw_message_as_an_attachment(client, mof_head, held):
    client.force_login(mof_head)
    response = client.get(f"/inbound/{held['mof'].pk}/raw/")
    assert response.content == bytes(held["mof"].raw)
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/octet-stream"


@pytest.mark.parametrize("outsider", ["moh_head", "mof_agent", "mof_requester", "council_member"])
def test_it_answers_404_to_outsiders_on_every_message_route(client, request, held, outsider):
    client.force_login(request.getfixturevalue(outsider))
    message = held["mof"]
    for suffix in ("", "raw/"):
        assert client.get(f"/inbound/{message.pk}/{suffix}").status_code == 404
    for action in ("release", "discard"):
        assert client.post(f"/inbound/{message.pk}/{action}/").status_code == 404
    message.refresh_from_db()
    assert message.state == State.QUARANTINED


def test_it_answers_404_to_an_agency_admin_for_a_piped_message(client, mof_head, held):
    client.force_login(mof_head)
    assert client.get(f"/inbound/{held['piped'].pk}/").status_code == 404


def test_it_releases_through_the_page(client, mof_head, held):
    client.force_login(mof_head)
    response = client.post(f"/inbound/{held['mof'].pk}/release/", follow=True)
    held["mof"].refresh_from_db()
    assert held["mof"].state == State.RELEASED
    assert f"released onto {held['mof'].ticket.reference}" in response.content.decode()


def test_it_discards_through_the_page(client, mof_head, held):
    client.force_login(mof_head)
    response = client.post(f"/inbound/{held['mof'].pk}/discard/")
    assert response.status_code == 302
    held["mof"].refresh_from_db()
    assert held["mof"].state == State.DISCARDED


def test_it_says_why_a_message_cannot_be_released(client, platform_admin, mailbox):
    record = inbound_handle(mail(sender=None), mailbox=mailbox)
    client.force_login(platform_admin)
    response = client.post(f"/inbound/{record.pk}/release/", follow=True)
    assert "cannot become a ticket: discard it" in response.content.decode()


# -- The command for mail servers that pipe ---------------------------------------------------


def test_it_handles_a_piped_message_and_says_what_happened(mailbox, mof_requester):
    out = io.StringIO()
    call_command(
        "receive_email", "--mailbox", "HELP@mof.gov.test", stdin=io.BytesIO(mail()), stdout=out
    )
    record = InboundMessage.objects.get()
    assert record.mailbox == mailbox
    assert out.getvalue() == f"Processed: new ticket on MOF-000001 (message {record.pk}).\n"


def test_it_says_a_piped_message_is_quarantined(mailbox):
    out = io.StringIO()
    call_command("receive_email", stdin=io.BytesIO(mail(sender=None)), stdout=out)
    assert out.getvalue().startswith("Quarantined: The message has no sender address (From).")


def test_it_asks_the_mail_server_to_retry_for_an_unknown_mailbox(db):
    with pytest.raises(CommandError) as raised:
        call_command("receive_email", "--mailbox", "nobody@x.test", stdin=io.BytesIO(mail()))
    assert raised.value.returncode == 75
    assert not InboundMessage.objects.exists()


def test_it_reads_standard_input_in_a_real_process(transactional_db, mailbox, mof_requester):
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpdesk.test_settings",
        "DATABASE_URL": (
            f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST']}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        ),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "receive_email", "--mailbox", "help@mof.gov.test"],
        input=mail(), capture_output=True, cwd=BASE_DIR, env=env, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().startswith("Processed: new ticket on MOF-000001")
    assert Ticket.objects.get().channel == Ticket.Channel.EMAIL


# -- Mailboxes --------------------------------------------------------------------------------


def test_it_stores_the_mailbox_password_encrypted(mailbox):
    stored = InboundMailbox.objects.values_list("password_encrypted", flat=True).get()
    assert "mailbox secret" not in stored
    assert InboundMailbox.objects.get().password == "mailbox secret"


def test_it_reads_passwords_after_the_secret_key_rotates(settings, mailbox):
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "y" * 50
    assert InboundMailbox.objects.get().password == "mailbox secret"
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(MailboxPasswordUnreadable):
        _ = InboundMailbox.objects.get().password


def test_it_encrypts_with_inbound_mail_key_when_set(settings, mailbox):
    from cryptography.fernet import Fernet

    settings.INBOUND_MAIL_KEY = Fernet.generate_key().decode()
    mailbox.password = "another secret"
    mailbox.save(update_fields=["password_encrypted"])
    token = InboundMailbox.objects.values_list("password_encrypted", flat=True).get()
    assert Fernet(settings.INBOUND_MAIL_KEY).decrypt(token.encode()) == b"another secret"


def test_it_gives_the_agencys_active_mailbox_as_reply_address(mailbox, mof_ticket):
    assert agency_reply_address(mof_ticket) == "help@mof.gov.test"
    mailbox.is_active = False
    mailbox.save(update_fields=["is_active"])
    assert agency_reply_address(mof_ticket) == ""


def test_it_keeps_the_mailbox_password_write_only_in_the_admin(client, platform_admin, mof):
    client.force_login(platform_admin)
    response = client.post(
        "/django-admin/mail/inboundmailbox/add/",
        {
            "agency": mof.pk, "address": "Help@MOF.gov.test", "imap_host": "imap.mof.gov.test",
            "imap_port": 993, "username": "help", "new_password": "s3cret password",
            "folder": "INBOX", "use_tls": "on", "is_active": "on",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    box = InboundMailbox.objects.get()
    assert (box.address, box.password) == ("help@mof.gov.test", "s3cret password")
    page = client.get(f"/django-admin/mail/inboundmailbox/{box.pk}/change/")
    assert "s3cret" not in page.content.decode()
    assert box.password_encrypted not in page.content.decode()
    client.post(
        f"/django-admin/mail/inboundmailbox/{box.pk}/change/",
        {
            "agency": mof.pk, "address": "help@mof.gov.test", "imap_host": "imap.mof.gov.test",
            "imap_port": 993, "username": "help", "new_password": "", "folder": "INBOX",
            "use_tls": "on", "is_active": "on",
        },
    )  # fmt: skip
    assert InboundMailbox.objects.get().password == "s3cret password"


def test_it_lists_other_states_on_request(client, mof_head, mailbox, mof_requester):
    inbound_handle(mail(subject="Handled fine"), mailbox=mailbox)
    client.force_login(mof_head)
    assert "Handled fine" not in client.get("/inbound/").content.decode()
    assert "Handled fine" in client.get("/inbound/?state=processed").content.decode()
