"""Satisfaction by SMS: the resolution SMS of an SMS requester asks "reply 1 good, 2 bad"
once per resolution; the answer is the same one the e-mail link records."""

from channels.models import SmsSatisfactionQuestion
from mail.models import Outbox
from satisfaction.models import Survey
from tests.channels.conftest import MOF_REQUESTER_PHONE
from tickets.events import events_publish
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_reply, ticket_update

PHONE = MOF_REQUESTER_PHONE


def _texts() -> list[str]:
    return list(
        Outbox.objects.filter(channel=Outbox.Channel.SMS, to_address=PHONE)
        .order_by("pk")
        .values_list("body_text", flat=True)
    )


def _reported_by_sms_and_resolved(sms, committed, mof_agent) -> Ticket:
    sms(PHONE, "Printer jammed")
    ticket = Ticket.objects.get()
    with committed():
        ticket_update(ticket=ticket, actor=mof_agent, status=Ticket.Status.RESOLVED)
    return ticket


def test_the_resolution_sms_asks_once(sms, committed, requester_phone, mof_agent):
    ticket = _reported_by_sms_and_resolved(sms, committed, mof_agent)

    resolved = _texts()[-1]
    assert resolved.startswith(f"GovDesk: {ticket.reference} is resolved: Printer jammed")
    assert "How did we do? Reply 1 good, 2 bad." in resolved
    assert resolved.endswith(f"/tickets/{ticket.reference}/")
    resolution = ticket.events.get(kind=TicketEvent.Kind.STATUS, data__new="resolved")
    # Told again (a retried drain): no second question, no second SMS.
    count = len(_texts())
    with committed():
        events_publish([resolution])
    assert len(_texts()) == count
    assert SmsSatisfactionQuestion.objects.count() == 1


def test_a_1_records_a_good_answer(sms, committed, requester_phone, mof_agent, mof_requester):
    ticket = _reported_by_sms_and_resolved(sms, committed, mof_agent)

    sms(PHONE, " 1 ")

    survey = Survey.objects.get(ticket=ticket)
    assert (survey.rating, survey.requester) == (Survey.Rating.GOOD, mof_requester)
    assert _texts()[-1] == "GovDesk: thank you for your answer."
    assert Ticket.objects.count() == 1
    assert ticket.events.filter(kind=TicketEvent.Kind.SATISFACTION).count() == 1


def test_a_second_answer_is_refused_and_opens_nothing(sms, committed, requester_phone, mof_agent):
    ticket = _reported_by_sms_and_resolved(sms, committed, mof_agent)
    sms(PHONE, "2")

    sms(PHONE, "1")

    survey = Survey.objects.get(ticket=ticket)
    assert survey.rating == Survey.Rating.BAD
    assert _texts()[-1] == ("GovDesk: You have already answered for this resolution. Thank you.")
    assert Ticket.objects.count() == 1


def test_a_reopened_ticket_resolved_again_asks_again(
    sms, committed, requester_phone, mof_agent, mof_requester
):
    ticket = _reported_by_sms_and_resolved(sms, committed, mof_agent)
    sms(PHONE, "1")
    with committed():
        ticket_reply(ticket=ticket, author=mof_requester, body="It jams again")
        ticket_update(ticket=ticket, actor=mof_agent, status=Ticket.Status.RESOLVED)

    sms(PHONE, "2")

    assert SmsSatisfactionQuestion.objects.count() == 2
    assert list(
        Survey.objects.filter(ticket=ticket)
        .order_by("resolved_at")
        .values_list("rating", flat=True)
    ) == [Survey.Rating.GOOD, Survey.Rating.BAD]


def test_a_web_requester_who_did_not_choose_sms_is_not_asked_by_sms(
    committed, requester_phone, mof_agent, mof_requester, catalogue
):
    from tickets.services import ticket_create

    ticket = ticket_create(
        requester=mof_requester, requester_agency=mof_requester.memberships.get().agency,
        category=catalogue["printer"], subject="Printer", description="Jammed",
        impact="low", urgency="medium",
    )  # fmt: skip
    with committed():
        ticket_update(ticket=ticket, actor=mof_agent, status=Ticket.Status.RESOLVED)

    assert _texts() == []
    assert not SmsSatisfactionQuestion.objects.exists()
