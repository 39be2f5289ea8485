"""Notices worth reading: an acknowledgement of each report, one e-mail for a ticket's news of
a few minutes, and no warning after the breach it warned of."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from core.pending_work import pending_work_drain
from core.templatetags.moments import moment_text
from mail.models import Outbox
from notifications.models import Kind, Notice
from service_levels.models import EscalationLevel, SLAPolicy
from tickets import services
from tickets.escalation import escalation_sweep
from tickets.events import subscriber_topic
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.usefixtures("mail_to_smtp", "service_desk")

MONROVIA = ZoneInfo("Africa/Monrovia")
MONDAY_9AM = datetime(2026, 11, 23, 9, 0, tzinfo=MONROVIA)


def text_of(message) -> str:
    return next(
        part.get_content() for part in message.walk() if part.get_content_type() == "text/plain"
    )


@pytest.fixture
def one_hour_to_answer(db):
    """P4 around the clock: a first answer within the hour, a fix within the day."""
    return SLAPolicy.objects.create(
        priority="P4", response_minutes=60, resolution_minutes=480, business_hours=False
    )


def test_it_acknowledges_a_report_with_its_reference_and_when_to_expect_an_answer(
    one_hour_to_answer, open_ticket, deliver_all, smtp_server
):
    ticket = open_ticket()
    assert ticket.response_due_at is not None
    notice = Notice.objects.get(user=ticket.requester, kind=Kind.RECEIVED)
    assert notice.text == "We received your report MOF-000001: Printer offline"
    deliver_all()
    [message] = smtp_server.messages_to("requester@mof.gov.test")
    text = text_of(message)
    due = moment_text(ticket.response_due_at)
    assert "Your reference is MOF-000001." in text
    assert f"Expect a first answer by {due}." in text
    assert "What happens next: Ministry of Finance looks at your report" in text


def test_it_acknowledges_a_call_logged_for_someone_else(open_ticket, mof_requester, mof_agent):
    open_ticket(mof_requester, channel="phone", logged_by=mof_agent)
    assert Notice.objects.filter(user=mof_requester, kind=Kind.RECEIVED).count() == 1


def test_it_sends_a_reply_and_its_resolution_within_the_window_as_one_email(
    settings, open_ticket, deliver_all, smtp_server, mof_agent, committed
):
    settings.GOVDESK_EMAIL_GROUP_SECONDS = 120
    ticket = open_ticket()
    with committed():
        services.ticket_reply(ticket=ticket, author=mof_agent, body="Restart it.", as_agent=True)
    with committed():
        services.ticket_set_status(
            ticket=Ticket.objects.get(pk=ticket.pk), status=Ticket.Status.RESOLVED,
            actor=mof_agent,
        )  # fmt: skip
    [row] = Outbox.objects.filter(to_address="requester@mof.gov.test")
    assert [part["kind"] for part in row.parts] == [Kind.RECEIVED, Kind.AGENT_REPLY, Kind.RESOLVED]
    assert deliver_all() == 0  # everyone's still waits for its window to close
    with time_machine.travel(row.hold_until + timedelta(seconds=1), tick=False):
        assert deliver_all() == 3  # the requester's one, and each agent's news of the ticket
    [message] = smtp_server.messages_to("requester@mof.gov.test")
    text = text_of(message)
    assert "We received your report MOF-000001" in text
    assert "James Tarpeh replied to MOF-000001: Printer offline" in text
    assert "Restart it." in text
    assert "Your ticket MOF-000001 is resolved: Printer offline" in text
    assert "If the problem is not solved" in text


def test_it_starts_a_new_email_once_the_window_has_closed(
    settings, open_ticket, mof_agent, committed
):
    settings.GOVDESK_EMAIL_GROUP_SECONDS = 120
    ticket = open_ticket()
    with time_machine.travel(timezone.now() + timedelta(minutes=3)), committed():
        services.ticket_reply(ticket=ticket, author=mof_agent, body="Restart it.", as_agent=True)
    rows = Outbox.objects.filter(to_address="requester@mof.gov.test").order_by("pk")
    assert [[part["kind"] for part in row.parts] for row in rows] == [
        [Kind.RECEIVED],
        [Kind.AGENT_REPLY],
    ]


def test_it_tells_nobody_of_a_warning_the_breach_has_overtaken(
    one_hour_to_answer, open_ticket, committed
):
    for percent, breach in ((75, False), (100, True)):
        EscalationLevel.objects.create(
            policy=one_hour_to_answer, clock="response", percent=percent,
            notify=EscalationLevel.Notify.TEAM, marks_breach=breach,
        )  # fmt: skip
    with time_machine.travel(MONDAY_9AM, tick=False):
        ticket = open_ticket()
    # The sweep comes late (a worker was down): both levels are due at once.
    with committed():
        assert escalation_sweep(now=MONDAY_9AM + timedelta(minutes=61)) == 2
    assert pending_work_drain(topic=subscriber_topic("notifications")) == 1
    warning, breach = ticket.events.filter(kind=TicketEvent.Kind.ESCALATION).order_by("pk")
    assert not Notice.objects.filter(event=warning).exists()
    assert Notice.objects.filter(event=breach).count() == 2
    assert not Outbox.objects.filter(body_text__contains="close to missing").exists()
