"""A rate limit per number, on SMS and on USSD: past it, nothing is created and the number is
not answered by SMS (each answer would cost the desk and could be turned into a flood)."""

from channels.models import InboundSms
from mail.models import Outbox
from tests.channels.conftest import MOF_REQUESTER_PHONE, STRANGER_PHONE
from tickets.models import Ticket


def test_texts_past_the_limit_open_nothing(sms, requester_phone, settings):
    settings.SMS_RATE_PER_NUMBER = "2/hour"

    for n in range(4):
        assert sms(MOF_REQUESTER_PHONE, f"Problem {n}").status_code == 200

    assert Ticket.objects.count() == 2
    limited = InboundSms.objects.filter(state=InboundSms.State.LIMITED)
    assert limited.count() == 2
    assert Outbox.objects.filter(channel=Outbox.Channel.SMS).count() == 2


def test_the_limit_is_per_number(sms, requester_phone, settings):
    settings.SMS_RATE_PER_NUMBER = "1/hour"

    sms(STRANGER_PHONE, "spam")
    sms(STRANGER_PHONE, "spam")
    sms(MOF_REQUESTER_PHONE, "Printer jammed")

    assert Ticket.objects.count() == 1


def test_ussd_past_the_limit_ends_at_once(dial, requester_phone, settings):
    settings.USSD_RATE_PER_NUMBER = "3/hour"

    screens = [dial(MOF_REQUESTER_PHONE, "") for _n in range(4)]

    assert all(s.startswith("CON GovDesk") for s in screens[:3])
    assert screens[3] == "END Too many requests from this number. Try again later."
