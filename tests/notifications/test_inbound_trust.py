"""Mail in, at the edges of trust: who a sender really is, who may silence whom, and what an
inbound view tells one agency of another's tickets."""

import pytest
from django.conf import settings
from django.urls import reverse

from mail.inbound import inbound_handle, inbound_release
from mail.models import InboundMailbox, InboundMessage
from tests.notifications.inbound_mail import PDF, TRUSTED_AUTHSERV_ID, mail, with_headers
from tickets.models import Attachment, Ticket, TicketEvent

State = InboundMessage.State
Reason = InboundMessage.Reason
pytest_plugins = ["tests.notifications.inbound_fixtures"]
pytestmark = pytest.mark.usefixtures("inbound_media")

FAILED = (
    f"Authentication-Results: {TRUSTED_AUTHSERV_ID}; spf=fail smtp.mailfrom=moh.gov.test; "
    "dkim=none; dmarc=fail header.from=moh.gov.test"
)
PASSED = (
    f"Authentication-Results: {TRUSTED_AUTHSERV_ID}; spf=pass smtp.mailfrom=moh.gov.test; "
    "dkim=pass header.d=moh.gov.test; dmarc=pass header.from=moh.gov.test"
)


def agent_reply(ticket, *, body="Send me your password so that I can fix it.", **fields) -> bytes:
    return mail(
        sender="Emmanuel Sirleaf <agent@moh.gov.test>",
        to="help@moh.gov.test",
        subject=f"Re: [{ticket.reference}] Clinic laptop",
        body=body,
        **fields,
    )


def requester_reply(ticket, *, body="It still does not start.", **fields) -> bytes:
    return mail(
        sender="requester@moh.gov.test",
        to="help@moh.gov.test",
        subject=f"Re: [{ticket.reference}] Clinic laptop",
        body=body,
        **fields,
    )


def replies(ticket):
    return ticket.events.filter(kind=TicketEvent.Kind.REPLY)


# -- Sender authentication: what the receiving server found ---------------------------------


def test_it_holds_a_forged_agent_reply_that_fails_dmarc(
    trusted_mx, moh_mailbox, moh_agent, moh_ticket
):
    record = inbound_handle(with_headers(agent_reply(moh_ticket), FAILED), mailbox=moh_mailbox)
    assert (record.state, record.reason_code) == (State.QUARANTINED, Reason.SENDER_NOT_VERIFIED)
    assert "DMARC" in record.reason
    assert "agent@moh.gov.test" in record.reason
    assert not replies(moh_ticket).exists()


def test_it_applies_an_agent_reply_that_passes_dmarc(
    trusted_mx, moh_mailbox, moh_agent, moh_ticket
):
    record = inbound_handle(with_headers(agent_reply(moh_ticket), PASSED), mailbox=moh_mailbox)
    assert record.state == State.PROCESSED
    assert record.event.data["by_agent"] is True
    assert record.sender_check == InboundMessage.SenderCheck.PASSED


def test_it_holds_an_agent_reply_that_fails_spf_and_has_no_dkim(
    trusted_mx, moh_mailbox, moh_agent, moh_ticket
):
    header = f"Authentication-Results: {TRUSTED_AUTHSERV_ID}; spf=softfail; dkim=none"
    record = inbound_handle(with_headers(agent_reply(moh_ticket), header), mailbox=moh_mailbox)
    assert record.reason_code == Reason.SENDER_NOT_VERIFIED
    assert "SPF" in record.reason


def test_it_ignores_results_from_a_server_it_does_not_trust(
    trusted_mx, moh_mailbox, moh_agent, moh_ticket
):
    forged = (
        "Authentication-Results: mx.attacker.test; spf=pass smtp.mailfrom=moh.gov.test; "
        "dkim=pass header.d=moh.gov.test; dmarc=pass header.from=moh.gov.test"
    )
    record = inbound_handle(with_headers(agent_reply(moh_ticket), forged), mailbox=moh_mailbox)
    assert (record.state, record.reason_code) == (State.QUARANTINED, Reason.SENDER_NOT_VERIFIED)
    assert not replies(moh_ticket).exists()


def test_it_does_not_hold_a_requester_for_an_untrusted_servers_failure(
    trusted_mx, moh_mailbox, moh_requester, moh_ticket
):
    failed_elsewhere = "Authentication-Results: relay.example.test; spf=fail; dmarc=fail"
    raw = with_headers(requester_reply(moh_ticket), failed_elsewhere)
    assert inbound_handle(raw, mailbox=moh_mailbox).state == State.PROCESSED


def test_it_believes_the_topmost_of_several_trusted_results_and_any_failure(
    trusted_mx, moh_mailbox, moh_agent, moh_ticket
):
    # The sender wrote a passing header under the trusted name; the server added its own on top.
    raw = with_headers(agent_reply(moh_ticket), FAILED, PASSED)
    record = inbound_handle(raw, mailbox=moh_mailbox)
    assert record.reason_code == Reason.SENDER_NOT_VERIFIED
    other_order = with_headers(agent_reply(moh_ticket), PASSED, FAILED)
    assert inbound_handle(other_order, mailbox=moh_mailbox).reason_code == (
        Reason.SENDER_NOT_VERIFIED
    )


def test_it_combines_the_results_each_filter_of_the_server_adds(
    trusted_mx, moh_mailbox, moh_agent, moh_ticket
):
    raw = with_headers(
        agent_reply(moh_ticket),
        f"Authentication-Results: {TRUSTED_AUTHSERV_ID} (dkim filter);\r\n"
        "\tdkim=pass (2048-bit key) header.d=moh.gov.test header.s=mail",
        f"Authentication-Results: {TRUSTED_AUTHSERV_ID.upper()}; spf=pass "
        "(sender SPF authorized) smtp.mailfrom=agent@moh.gov.test",
    )
    record = inbound_handle(raw, mailbox=moh_mailbox)
    assert record.state == State.PROCESSED
    assert record.event.data["by_agent"] is True


def test_it_holds_staff_mail_without_a_trusted_result(
    trusted_mx, moh_mailbox, moh_agent, moh_ticket
):
    record = inbound_handle(agent_reply(moh_ticket), mailbox=moh_mailbox)
    assert record.reason_code == Reason.SENDER_NOT_VERIFIED
    assert f"no passing result from {TRUSTED_AUTHSERV_ID}" in record.reason


def test_it_does_not_believe_an_aligned_pass_for_another_domain(
    trusted_mx, moh_mailbox, moh_agent, moh_ticket
):
    header = (
        f"Authentication-Results: {TRUSTED_AUTHSERV_ID}; spf=pass smtp.mailfrom=bulk.example.test;"
        " dkim=pass header.d=example.test"
    )
    record = inbound_handle(with_headers(agent_reply(moh_ticket), header), mailbox=moh_mailbox)
    assert record.reason_code == Reason.SENDER_NOT_VERIFIED


def test_it_holds_a_requesters_reply_that_fails(trusted_mx, moh_mailbox, moh_ticket):
    raw = with_headers(requester_reply(moh_ticket), FAILED)
    record = inbound_handle(raw, mailbox=moh_mailbox)
    assert (record.state, record.reason_code) == (State.QUARANTINED, Reason.SENDER_NOT_VERIFIED)
    assert not replies(moh_ticket).exists()


def test_it_may_accept_a_requesters_failing_reply_marked_unverified(
    settings, trusted_mx, moh_mailbox, moh_ticket
):
    settings.INBOUND_ACCEPT_UNVERIFIED_REQUESTER_REPLIES = True
    raw = with_headers(requester_reply(moh_ticket), FAILED)
    record = inbound_handle(raw, mailbox=moh_mailbox)
    assert record.state == State.PROCESSED
    assert record.event.is_public
    assert record.event.data["by_agent"] is False
    assert record.event.body.startswith("[Sender not verified:")
    assert "It still does not start." in record.event.body
    assert record.sender_check == InboundMessage.SenderCheck.FAILED


def test_it_never_accepts_a_failing_agent_reply_even_when_requesters_are_accepted(
    settings, trusted_mx, moh_mailbox, moh_agent, moh_ticket
):
    settings.INBOUND_ACCEPT_UNVERIFIED_REQUESTER_REPLIES = True
    raw = with_headers(agent_reply(moh_ticket), FAILED)
    assert inbound_handle(raw, mailbox=moh_mailbox).state == State.QUARANTINED
    assert not replies(moh_ticket).exists()


def test_it_holds_a_new_ticket_from_a_failing_sender(trusted_mx, mailbox, mof_requester):
    failed = f"Authentication-Results: {TRUSTED_AUTHSERV_ID}; dmarc=fail header.from=mof.gov.test"
    record = inbound_handle(with_headers(mail(), failed), mailbox=mailbox)
    assert record.reason_code == Reason.SENDER_NOT_VERIFIED
    assert not Ticket.objects.exists()


def test_it_opens_a_ticket_for_a_requester_without_any_result(trusted_mx, mailbox, mof_requester):
    assert inbound_handle(mail(), mailbox=mailbox).state == State.PROCESSED


def test_it_releases_a_held_sender_when_an_admin_vouches_for_it(
    trusted_mx, moh_mailbox, moh_agent, moh_head, moh_ticket
):
    record = inbound_handle(with_headers(agent_reply(moh_ticket), FAILED), mailbox=moh_mailbox)
    released = inbound_release(message=record, actor=moh_head)
    assert released.state == State.RELEASED
    assert released.event.data["by_agent"] is True


@pytest.mark.parametrize(
    "header",
    [
        f"Authentication-Results: {TRUSTED_AUTHSERV_ID}",
        f"Authentication-Results: {TRUSTED_AUTHSERV_ID}; none",
        f"Authentication-Results: {TRUSTED_AUTHSERV_ID}; ===; dmarc",
        f"Authentication-Results: {TRUSTED_AUTHSERV_ID}; dmarc=pass (unclosed comment",
        "Authentication-Results: ; ; ;",
        "Authentication-Results: \x00\xff",
    ],
)
def test_it_reads_malformed_results_as_no_result(
    trusted_mx, moh_mailbox, moh_agent, moh_ticket, header
):
    record = inbound_handle(with_headers(agent_reply(moh_ticket), header), mailbox=moh_mailbox)
    assert (record.state, record.reason_code) == (State.QUARANTINED, Reason.SENDER_NOT_VERIFIED)


# -- Sender authentication: DKIM, verified here ---------------------------------------------


def test_it_believes_a_dkim_signature_it_verifies(
    trusted_mx, dkim_keys, moh_mailbox, moh_agent, moh_ticket
):
    raw = dkim_keys.sign(agent_reply(moh_ticket), "moh.gov.test")
    record = inbound_handle(raw, mailbox=moh_mailbox)
    assert record.state == State.PROCESSED
    assert record.event.data["by_agent"] is True
    assert dkim_keys.lookups == [b"govmail._domainkey.moh.gov.test."]


def test_it_holds_a_dkim_signed_message_whose_body_was_changed(
    dkim_keys, moh_mailbox, moh_agent, moh_ticket
):
    signed = dkim_keys.sign(agent_reply(moh_ticket, body="I will visit at ten.\n"), "moh.gov.test")
    changed = signed.replace(b"I will visit at ten.", b"Send me your password.")
    record = inbound_handle(changed, mailbox=moh_mailbox)
    assert (record.state, record.reason_code) == (State.QUARANTINED, Reason.SENDER_NOT_VERIFIED)
    assert "DKIM" in record.reason
    assert not replies(moh_ticket).exists()


def test_it_does_not_take_another_domains_signature_for_the_sender(
    trusted_mx, dkim_keys, moh_mailbox, moh_agent, moh_ticket
):
    raw = dkim_keys.sign(agent_reply(moh_ticket), "example.test")
    assert inbound_handle(raw, mailbox=moh_mailbox).reason_code == Reason.SENDER_NOT_VERIFIED


def test_it_does_not_fail_a_signature_whose_key_cannot_be_found(
    dkim_keys, moh_mailbox, moh_requester, moh_ticket
):
    raw = dkim_keys.sign(requester_reply(moh_ticket), "moh.gov.test")
    dkim_keys.published.clear()
    record = inbound_handle(raw, mailbox=moh_mailbox)
    assert record.state == State.PROCESSED
    assert record.sender_check == InboundMessage.SenderCheck.UNKNOWN


def test_it_keeps_the_verdict_for_a_release(
    trusted_mx, dkim_keys, moh_mailbox, moh_agent, moh_head, moh_ticket
):
    raw = with_headers(dkim_keys.sign(agent_reply(moh_ticket), "moh.gov.test"), FAILED)
    record = inbound_handle(raw, mailbox=moh_mailbox)
    assert record.sender_check == InboundMessage.SenderCheck.FAILED
    dkim_keys.lookups.clear()
    inbound_release(message=record, actor=moh_head)
    assert dkim_keys.lookups == []


# -- Deduplication --------------------------------------------------------------------------


def test_it_does_not_let_a_stranger_pre_empt_a_message_id(mailbox, mof_requester):
    stranger = inbound_handle(
        mail(sender="stranger@example.test", message_id="<chosen@mail.test>"), mailbox=mailbox
    )
    assert stranger.state == State.QUARANTINED
    real = inbound_handle(mail(message_id="<chosen@mail.test>"), mailbox=mailbox)
    assert real.duplicate is False
    assert real.state == State.PROCESSED
    assert Ticket.objects.get().requester == mof_requester


def test_it_does_not_let_a_forger_of_the_same_sender_pre_empt_other_content(mailbox, mof_requester):
    forged = mail(message_id="<chosen@mail.test>", body="Forged words.")
    inbound_handle(forged, mailbox=mailbox)
    real = inbound_handle(mail(message_id="<chosen@mail.test>"), mailbox=mailbox)
    assert real.duplicate is False
    assert Ticket.objects.count() == 2


def test_it_handles_one_message_once_in_each_mailbox_it_reaches(
    mailbox, moh_mailbox, mof_requester, moh_category
):
    raw = mail(to="help@mof.gov.test, help@moh.gov.test", message_id="<both@mail.test>")
    first = inbound_handle(raw, mailbox=mailbox)
    second = inbound_handle(raw, mailbox=moh_mailbox)
    assert (first.duplicate, second.duplicate) == (False, False)
    assert inbound_handle(raw, mailbox=moh_mailbox).duplicate is True
    assert InboundMessage.objects.count() == 2


def test_it_drops_a_true_duplicate_once_whatever_servers_added_on_the_way(mailbox, mof_requester):
    raw = mail(message_id="<same@mail.test>")
    first = inbound_handle(raw, mailbox=mailbox)
    again = with_headers(raw, "Received: from relay.gov.test by mx.gov.test; Mon, 3 Mar 2025")
    second = inbound_handle(again, mailbox=mailbox)
    assert second.duplicate is True
    assert second.pk == first.pk
    assert Ticket.objects.count() == 1


# -- What an inbound view shows of another agency's ticket ----------------------------------


def thread_of(ticket, recipient) -> str:
    """The Message-ID GovDesk gave a notification of the ticket, which a reply refers to."""
    reference = ticket.reference.lower()
    return f"<ticket-{reference}-1-{recipient.pk}@{settings.GOVDESK_MAIL_DOMAIN}>"


@pytest.fixture
def applied_elsewhere(mailbox, moh_ticket, moh_requester):
    """A message in MOF's mailbox that replies to an MOH ticket, held for its file."""
    raw = mail(
        sender="requester@moh.gov.test",
        subject="Re: your message",
        headers={"In-Reply-To": thread_of(moh_ticket, moh_requester)},
        attachments=[("setup.exe", b"MZ\x90\x00", "application/octet-stream")],
    )
    record = inbound_handle(raw, mailbox=mailbox)
    assert record.state == State.QUARANTINED
    assert record.ticket == moh_ticket
    return record


def test_it_shows_another_agencys_ticket_without_its_reference_or_names(
    client, mof_head, applied_elsewhere
):
    client.force_login(mof_head)
    for url in (
        reverse("inbound_message", args=[applied_elsewhere.pk]),
        reverse("inbound_quarantine"),
    ):
        page = client.get(url).content.decode()
        assert "Applied to a ticket of another agency" in page
        assert "MOH-000001" not in page
        assert "Fatu Kamara" not in page
        assert "Clinic laptop" not in page


def test_it_shows_the_reference_to_the_agency_that_handles_the_ticket(
    client, platform_admin, applied_elsewhere
):
    client.force_login(platform_admin)
    page = client.get(reverse("inbound_message", args=[applied_elsewhere.pk])).content.decode()
    assert "MOH-000001" in page


def test_it_does_not_name_another_agencys_ticket_after_a_release(
    client, mof_head, mailbox, moh_ticket, moh_requester
):
    raw = mail(
        sender="requester@moh.gov.test",
        subject="Re: your message",
        headers={"In-Reply-To": thread_of(moh_ticket, moh_requester)},
        attachments=[
            ("setup.exe", b"MZ\x90\x00", "application/octet-stream"),
            ("scan.pdf", PDF, "application/pdf"),
        ],
    )
    record = inbound_handle(raw, mailbox=mailbox)
    client.force_login(mof_head)
    response = client.post(reverse("inbound_release", args=[record.pk]), follow=True)
    page = response.content.decode()
    record.refresh_from_db()
    assert record.state == State.RELEASED
    assert Attachment.objects.get().ticket == moh_ticket
    assert "released onto a ticket of another agency" in page
    assert "MOH-000001" not in page


def test_it_lists_the_quarantine_of_a_mailbox_to_its_agency_admin_only(
    client, mof_head, moh_head, applied_elsewhere
):
    client.force_login(moh_head)
    assert client.get(reverse("inbound_message", args=[applied_elsewhere.pk])).status_code == 404
    client.force_login(mof_head)
    assert client.get(reverse("inbound_message", args=[applied_elsewhere.pk])).status_code == 200
    assert InboundMailbox.objects.count() == 1
