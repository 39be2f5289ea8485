"""SMS in: a confirmed civil servant's text becomes a ticket; a reference replies to it."""

import pytest

from channels.models import InboundSms
from mail.models import Outbox
from tests.channels.conftest import (
    MOF_AGENT_PHONE,
    MOH_REQUESTER_PHONE,
    STRANGER_PHONE,
    TOKEN,
    confirm_phone,
)
from tickets.models import Ticket, TicketEvent

SENDER = "+254711000001"


def _answers(number=SENDER) -> list[str]:
    return list(
        Outbox.objects.filter(channel=Outbox.Channel.SMS, to_address=number)
        .order_by("pk")
        .values_list("body_text", flat=True)
    )


def test_it_opens_a_ticket_from_a_text(sms, requester_phone, mof_requester, catalogue):
    response = sms(SENDER, "The printer on floor 2 is jammed again")

    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.channel == Ticket.Channel.SMS
    assert ticket.requester == mof_requester
    assert ticket.category == catalogue["other"]
    assert ticket.agency.code == "MOF"
    assert ticket.team.name == "Service desk"
    assert ticket.subject == "The printer on floor 2 is jammed again"
    assert _answers() == [
        f"GovDesk: we received your report. Your reference is {ticket.reference}. "
        f"To add to it, text {ticket.reference} and your message."
    ]


def test_it_keeps_neither_number_nor_text_of_a_message_that_became_a_ticket(sms, requester_phone):
    sms(SENDER, "Printer jammed", message_id="ATXid_kept")

    record = InboundSms.objects.get(message_id="ATXid_kept")
    assert record.state == InboundSms.State.PROCESSED
    assert (record.sender, record.text) == ("", "")
    assert record.ticket is not None


def test_it_adds_a_reply_by_reference(sms, requester_phone, mof_requester):
    sms(SENDER, "Printer jammed")
    ticket = Ticket.objects.get()

    sms(SENDER, f"{ticket.reference.lower()} it is now printing blank pages")

    reply = ticket.events.get(kind=TicketEvent.Kind.REPLY)
    assert reply.actor == mof_requester
    assert reply.body == "it is now printing blank pages"
    assert Ticket.objects.count() == 1
    assert _answers()[-1] == f"GovDesk: your reply was added to {ticket.reference}."


def test_it_refuses_a_reference_of_someone_elses_ticket(
    sms, requester_phone, moh_requester, catalogue
):
    confirm_phone(moh_requester, MOH_REQUESTER_PHONE)
    sms(SENDER, "Printer jammed")
    ticket = Ticket.objects.get()

    sms(MOH_REQUESTER_PHONE, f"{ticket.reference} let me in")

    assert not ticket.events.filter(kind=TicketEvent.Kind.REPLY).exists()
    assert Ticket.objects.count() == 1
    assert _answers(MOH_REQUESTER_PHONE) == [
        f"GovDesk: you cannot reply to {ticket.reference} from this number."
    ]
    refused = InboundSms.objects.get(state=InboundSms.State.REFUSED)
    assert refused.reason_code == InboundSms.Reason.REFERENCE_REFUSED


def test_it_answers_a_missing_reference_as_it_answers_someone_elses(sms, requester_phone):
    sms(SENDER, "MOF-999999 anything")

    assert not Ticket.objects.exists()
    assert _answers() == ["GovDesk: you cannot reply to MOF-999999 from this number."]


def test_an_agent_replies_by_reference_as_staff(sms, requester_phone, mof_agent):
    confirm_phone(mof_agent, MOF_AGENT_PHONE)
    sms(SENDER, "Printer jammed")
    ticket = Ticket.objects.get()

    sms(MOF_AGENT_PHONE, f"{ticket.reference} A technician is on the way")

    reply = ticket.events.get(kind=TicketEvent.Kind.REPLY)
    assert reply.actor == mof_agent
    assert reply.data["by_agent"] is True
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None


def test_a_replayed_callback_creates_nothing_twice(sms, requester_phone):
    first = sms(SENDER, "Printer jammed", message_id="ATXid_same")
    second = sms(SENDER, "Printer jammed", message_id="ATXid_same")

    assert first.status_code == second.status_code == 200
    assert Ticket.objects.count() == 1
    assert InboundSms.objects.count() == 1
    assert len(_answers()) == 1


def test_an_unknown_number_is_quarantined_and_told_once(sms, requester_phone):
    sms(STRANGER_PHONE, "hello who is this", message_id="ATXid_s1")
    sms(STRANGER_PHONE, "hello again", message_id="ATXid_s2")

    assert not Ticket.objects.exists()
    held = InboundSms.objects.filter(state=InboundSms.State.QUARANTINED).order_by("pk")
    assert [(h.sender, h.text, h.reason_code) for h in held] == [
        (STRANGER_PHONE, "hello who is this", InboundSms.Reason.UNKNOWN_SENDER),
        (STRANGER_PHONE, "hello again", InboundSms.Reason.UNKNOWN_SENDER),
    ]
    assert _answers(STRANGER_PHONE) == [
        "GovDesk does not know this number. Add it on your GovDesk profile."
    ]


def test_an_unconfirmed_number_opens_nothing(sms, mof_requester, catalogue):
    from channels.models import PhoneNumber

    PhoneNumber.objects.create(user=mof_requester, number=SENDER)

    sms(SENDER, "Printer jammed")

    assert not Ticket.objects.exists()
    held = InboundSms.objects.get()
    assert held.reason_code == InboundSms.Reason.UNCONFIRMED_SENDER
    assert _answers() == ["GovDesk: confirm this number on your profile first, then text again."]


@pytest.mark.parametrize("text", ["", "   "])
def test_an_empty_text_gets_a_short_answer(sms, requester_phone, text):
    response = sms(SENDER, text)

    assert response.status_code == 200
    assert not Ticket.objects.exists()
    assert _answers() == ["GovDesk: your message was empty. Describe the problem."]


def test_a_ten_thousand_character_text_is_refused_whole(sms, requester_phone):
    response = sms(SENDER, "x" * 10_000)

    assert response.status_code == 200
    assert not Ticket.objects.exists()
    assert _answers() == ["GovDesk: your message is too long (at most 1600 characters)."]


def test_a_text_in_a_non_gsm_alphabet_becomes_a_ticket_intact(sms, requester_phone):
    text = "Принтер не работает 🖨️ الطابعة لا تعمل"

    sms(SENDER, text)

    ticket = Ticket.objects.get()
    assert ticket.description == text


def test_a_callback_without_the_token_is_a_404(sms, requester_phone, client):
    assert sms(SENDER, "Printer jammed", token="wrong").status_code == 404
    assert client.post("/channels/africastalking/sms/", {"from": SENDER}).status_code == 404
    assert not InboundSms.objects.exists()


def test_every_callback_is_a_404_while_no_token_is_set(sms, requester_phone, settings):
    settings.SMS_CALLBACK_TOKEN = ""

    assert sms(SENDER, "Printer jammed", token="").status_code == 404
    assert sms(SENDER, "Printer jammed", token=TOKEN).status_code == 404


def test_an_unknown_gateway_is_a_404(client, requester_phone):
    response = client.post(f"/channels/nosuchgateway/{TOKEN}/sms/", {"from": SENDER})

    assert response.status_code == 404


def test_a_callback_from_outside_the_allow_list_is_a_404(sms, requester_phone, settings):
    import ipaddress

    settings.SMS_GATEWAY_ALLOWED_NETWORKS = [ipaddress.ip_network("192.0.2.0/24")]

    assert sms(SENDER, "Printer jammed").status_code == 404
    settings.SMS_GATEWAY_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.0/8")]
    assert sms(SENDER, "Printer jammed").status_code == 200


def test_a_callback_without_an_id_is_a_short_400(client, requester_phone):
    response = client.post(f"/channels/africastalking/{TOKEN}/sms/", {"from": SENDER, "text": "hi"})

    assert response.status_code == 400
    assert response.content == b"Bad callback: missing id"
    assert not InboundSms.objects.exists()


def test_a_get_of_a_callback_is_refused(client, requester_phone):
    assert client.get(f"/channels/africastalking/{TOKEN}/sms/").status_code == 405


@pytest.mark.django_db(transaction=True)
def test_the_same_callback_twice_at_once_opens_one_ticket(mof_requester, mof_desk, catalogue):
    import threading

    from django.db import connection

    from channels.gateways import InboundSmsMessage
    from channels.intake import sms_receive

    confirm_phone(mof_requester, SENDER)
    message = InboundSmsMessage(message_id="ATXid_race", sender=SENDER, to="1", text="Printer")
    start = threading.Barrier(2)
    results = []

    def receive():
        try:
            start.wait()
            results.append(sms_receive(gateway="africastalking", message=message).duplicate)
        finally:
            connection.close()

    threads = [threading.Thread(target=receive) for _n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False, True]
    assert Ticket.objects.count() == 1
    assert InboundSms.objects.count() == 1


def test_control_characters_are_dropped_not_a_500(sms, requester_phone):
    response = sms(SENDER, "Printer\x00 jammed\x1b\nsecond line", message_id="AT\x00id")

    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.description == "Printer jammed\nsecond line"
    assert InboundSms.objects.get().message_id == "ATid"
