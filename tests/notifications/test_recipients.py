"""Who hears what: one test per rule of notifications/recipients.py, through the services.

Each person told gets an in-app notice; by their preference, an e-mail (an outbox row) now,
a line in the daily digest, or nothing more.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import Role
from agencies.models import Team
from core.pending_work import pending_work_drain
from mail.models import Outbox
from notifications.models import Kind, Notice, Preference
from service_levels.models import EscalationLevel, SLAPolicy
from tests.factories import MembershipFactory, UserFactory
from tests.notifications.conftest import teams_told
from tickets import services
from tickets.escalation import escalation_sweep
from tickets.events import subscriber_topic
from tickets.models import TicketEvent

MONROVIA = ZoneInfo("Africa/Monrovia")
MONDAY_9AM = datetime(2026, 11, 23, 9, 0, tzinfo=MONROVIA)


def told(event: TicketEvent) -> set[tuple[str, str]]:
    """(e-mail address, kind) of everyone given a notice of `event`, but the requester's
    acknowledgement of a new ticket (tested on its own, below)."""
    notices = Notice.objects.filter(event=event).exclude(kind=Kind.RECEIVED)
    return set(notices.values_list("user__email", "kind"))


def mailed(event: TicketEvent) -> set[str]:
    """The addresses an e-mail about `event` is written to, but the acknowledgement's."""
    return set(
        Outbox.objects.filter(dedupe_key__startswith=f"event:{event.pk}:")
        .exclude(parts__0__kind=Kind.RECEIVED)
        .values_list("to_address", flat=True)
    )


def last_event(ticket, kind: str) -> TicketEvent:
    return ticket.events.filter(kind=kind).latest("pk")


# -- A new ticket ----------------------------------------------------------------------------


def test_it_tells_the_team_of_a_new_ticket(open_ticket, service_desk):
    ticket = open_ticket()
    created = last_event(ticket, TicketEvent.Kind.CREATED)
    assert told(created) == {
        ("agent@mof.gov.test", Kind.TICKET_CREATED),
        ("agent2@mof.gov.test", Kind.TICKET_CREATED),
    }
    assert mailed(created) == {"agent@mof.gov.test", "agent2@mof.gov.test"}
    notice = Notice.objects.filter(event=created).first()
    assert notice.text == "New ticket MOF-000001 for your team: Printer offline"


def test_it_tells_the_agency_admins_of_a_new_ticket_for_no_team(open_ticket, mof_head, mof_agent):
    ticket = open_ticket()
    assert ticket.team is None
    assert told(last_event(ticket, TicketEvent.Kind.CREATED)) == {
        ("head@mof.gov.test", Kind.TICKET_CREATED)
    }


def test_it_tells_only_the_assignee_when_the_team_assigns_by_round_robin(
    open_ticket, service_desk, mof_agent
):
    service_desk.assignment = Team.Assignment.ROUND_ROBIN
    service_desk.save(update_fields=["assignment"])
    ticket = open_ticket()
    assert ticket.assignee == mof_agent
    assert told(last_event(ticket, TicketEvent.Kind.CREATED)) == set()
    assert told(last_event(ticket, TicketEvent.Kind.ASSIGNEE)) == {
        ("agent@mof.gov.test", Kind.ASSIGNED)
    }
    # The requester's is the acknowledgement of their report.
    assert set(Outbox.objects.values_list("to_address", flat=True)) == {
        "agent@mof.gov.test",
        "requester@mof.gov.test",
    }


def test_it_does_not_tell_a_team_member_who_is_no_longer_staff(
    open_ticket, service_desk, mof_second_agent
):
    # Changing a role keeps the person on their teams; the team's news must stop reaching them.
    mof_second_agent.memberships.update(role=Role.REQUESTER)
    ticket = open_ticket()
    assert told(last_event(ticket, TicketEvent.Kind.CREATED)) == {
        ("agent@mof.gov.test", Kind.TICKET_CREATED)
    }


def test_it_does_not_tell_an_agent_who_logs_a_call_of_their_own_action(
    open_ticket, service_desk, mof_agent, mof_requester
):
    ticket = open_ticket(mof_requester, channel="phone", logged_by=mof_agent)
    assert told(last_event(ticket, TicketEvent.Kind.CREATED)) == {
        ("agent2@mof.gov.test", Kind.TICKET_CREATED)
    }


# -- Replies ---------------------------------------------------------------------------------


def test_it_tells_the_requester_and_watchers_of_an_agents_public_reply(
    open_ticket, service_desk, mof_agent, mof_watcher, committed
):
    ticket = open_ticket()
    with committed():
        services.ticket_watcher_add(ticket=ticket, email=mof_watcher.email, actor=ticket.requester)
        reply = services.ticket_reply(
            ticket=ticket, author=mof_agent, body="Restart it, please.", as_agent=True
        )
    assert told(reply) == {
        ("requester@mof.gov.test", Kind.AGENT_REPLY),
        ("watcher@mof.gov.test", Kind.AGENT_REPLY),
    }
    assert mailed(reply) == {"requester@mof.gov.test", "watcher@mof.gov.test"}


def test_it_tells_the_assignee_of_the_requesters_reply(
    open_ticket, service_desk, mof_agent, committed
):
    ticket = open_ticket()
    with committed():
        services.ticket_assign(ticket=ticket, assignee=mof_agent, actor=mof_agent)
        reply = services.ticket_reply(ticket=ticket, author=ticket.requester, body="Still broken.")
    assert told(reply) == {("agent@mof.gov.test", Kind.REQUESTER_REPLY)}
    assert mailed(reply) == {"agent@mof.gov.test"}


def test_it_tells_the_team_of_the_requesters_reply_while_nobody_is_assigned(
    open_ticket, service_desk, committed
):
    ticket = open_ticket()
    with committed():
        reply = services.ticket_reply(ticket=ticket, author=ticket.requester, body="Any news?")
    assert told(reply) == {
        ("agent@mof.gov.test", Kind.REQUESTER_REPLY),
        ("agent2@mof.gov.test", Kind.REQUESTER_REPLY),
    }


def test_it_never_tells_a_requester_of_an_internal_note(
    open_ticket, service_desk, mof_agent, mof_watcher, committed
):
    ticket = open_ticket()
    with committed():
        services.ticket_watcher_add(ticket=ticket, email=mof_watcher.email, actor=ticket.requester)
        note = services.ticket_reply(
            ticket=ticket, author=mof_agent, body="The requester broke it.", internal=True,
            as_agent=True,
        )  # fmt: skip
    assert told(note) == set()
    assert mailed(note) == set()
    assert not Notice.objects.filter(user=ticket.requester).exclude(kind=Kind.RECEIVED).exists()
    assert not Outbox.objects.filter(body_text__contains="broke it").exists()


# -- Assignment, transfer, resolution --------------------------------------------------------


def test_it_tells_the_new_assignee(open_ticket, service_desk, mof_head, mof_agent, committed):
    ticket = open_ticket()
    with committed():
        services.ticket_assign(ticket=ticket, assignee=mof_agent, actor=mof_head)
    assigned = last_event(ticket, TicketEvent.Kind.ASSIGNEE)
    assert told(assigned) == {("agent@mof.gov.test", Kind.ASSIGNED)}
    assert mailed(assigned) == {"agent@mof.gov.test"}


def test_it_never_tells_the_actor_of_their_own_action(
    open_ticket, service_desk, mof_agent, committed
):
    ticket = open_ticket()
    with committed():
        services.ticket_assign(ticket=ticket, assignee=mof_agent, actor=mof_agent)
    assert told(last_event(ticket, TicketEvent.Kind.ASSIGNEE)) == set()
    assert not Notice.objects.filter(user=mof_agent, kind=Kind.ASSIGNED).exists()


def test_it_tells_the_receiving_team_and_the_requester_in_plain_words_of_a_transfer(
    open_ticket, service_desk, mof_agent, nicta, committed
):
    nicta_desk = Team.objects.create(agency=nicta, name="NICTA service desk")
    nicta_agent = UserFactory(email="agent@nicta.gov.test", full_name="Alice Weah")
    MembershipFactory(user=nicta_agent, agency=nicta, role=Role.AGENT)
    nicta_desk.members.add(nicta_agent)
    nicta.intake_team = nicta_desk
    nicta.save(update_fields=["intake_team"])
    ticket = open_ticket()
    with committed():
        services.ticket_transfer(
            ticket=ticket, to_agency=nicta, reason="Their network switch failed.", actor=mof_agent
        )
    with committed():
        teams_told()
    transfer = last_event(ticket, TicketEvent.Kind.TRANSFER)
    assert told(transfer) == {
        ("agent@nicta.gov.test", Kind.TRANSFERRED),
        ("requester@mof.gov.test", Kind.TRANSFERRED),
    }
    texts = dict(Notice.objects.filter(event=transfer).values_list("user__email", "text"))
    assert texts["requester@mof.gov.test"] == (
        "Your ticket MOF-000001 is now handled by National ICT Agency, who can best solve it."
    )
    assert texts["agent@nicta.gov.test"] == (
        "MOF-000001 moved to your agency from MOF: Printer offline"
    )
    # The reason is written for the receiving agency, not the requester's mailbox.
    requester_mail = Outbox.objects.exclude(parts__0__kind=Kind.RECEIVED).get(
        to_address="requester@mof.gov.test"
    )
    assert "network switch" not in requester_mail.body_text


def test_it_tells_the_requester_and_watchers_of_the_resolution_with_the_way_to_reopen(
    open_ticket, service_desk, mof_agent, mof_watcher, committed
):
    ticket = open_ticket()
    with committed():
        services.ticket_watcher_add(ticket=ticket, email=mof_watcher.email, actor=ticket.requester)
        services.ticket_update(ticket=ticket, actor=mof_agent, status="resolved")
    resolved = last_event(ticket, TicketEvent.Kind.STATUS)
    assert told(resolved) == {
        ("requester@mof.gov.test", Kind.RESOLVED),
        ("watcher@mof.gov.test", Kind.RESOLVED),
    }
    mail = Outbox.objects.exclude(parts__0__kind=Kind.RECEIVED).get(
        to_address="requester@mof.gov.test"
    )
    assert "If the problem is not solved, reopen the ticket:" in mail.body_text
    assert "http://127.0.0.1:8000/tickets/MOF-000001/" in mail.body_text


# -- Escalations -----------------------------------------------------------------------------


@pytest.fixture
def escalate(open_ticket, committed):
    """Opens a ticket on Monday 09:00 and lets its first response run late, with one level
    (P4, 24x7: answer within an hour) that tells `notify`; returns the escalation event."""

    def escalate(notify: str, *, before=None):
        policy = SLAPolicy.objects.create(
            priority="P4", response_minutes=60, resolution_minutes=480, business_hours=False
        )
        EscalationLevel.objects.create(
            policy=policy, clock="response", percent=100, notify=notify, marks_breach=True
        )
        with time_machine.travel(MONDAY_9AM, tick=False):
            ticket = open_ticket()
        if before:
            with committed():
                before(ticket)
        with committed():
            assert escalation_sweep(now=MONDAY_9AM + timedelta(minutes=61)) == 1
        # The sweep leaves the telling to a worker after its commit: do what the worker does,
        # with the one row of the batch for the people to tell.
        assert pending_work_drain(topic=subscriber_topic("notifications")) == 1
        return last_event(ticket, TicketEvent.Kind.ESCALATION)

    return escalate


def test_it_tells_the_assignee_of_an_escalation(escalate, service_desk, mof_agent, mof_head):
    def assign(ticket):
        services.ticket_assign(ticket=ticket, assignee=mof_agent, actor=mof_head)

    event = escalate(EscalationLevel.Notify.ASSIGNEE_OR_TEAM, before=assign)
    assert told(event) == {("agent@mof.gov.test", Kind.ESCALATION)}
    assert mailed(event) == {"agent@mof.gov.test"}
    assert Notice.objects.get(event=event).text == (
        "MOF-000001 has missed its service level: Printer offline"
    )


def test_it_tells_the_team_of_an_escalation_while_nobody_is_assigned(escalate, service_desk):
    event = escalate(EscalationLevel.Notify.ASSIGNEE_OR_TEAM)
    assert told(event) == {
        ("agent@mof.gov.test", Kind.ESCALATION),
        ("agent2@mof.gov.test", Kind.ESCALATION),
    }


def test_it_tells_the_team_of_an_escalation_for_the_team(
    escalate, service_desk, mof_agent, mof_head
):
    def assign(ticket):
        services.ticket_assign(ticket=ticket, assignee=mof_agent, actor=mof_head)

    event = escalate(EscalationLevel.Notify.TEAM, before=assign)
    assert told(event) == {
        ("agent@mof.gov.test", Kind.ESCALATION),
        ("agent2@mof.gov.test", Kind.ESCALATION),
    }


def test_it_tells_the_lead_and_the_agency_admins_of_an_escalation(
    escalate, service_desk, mof_second_agent, mof_head
):
    service_desk.lead = mof_second_agent
    service_desk.save(update_fields=["lead"])
    event = escalate(EscalationLevel.Notify.TEAM_LEAD_AND_ADMINS)
    assert told(event) == {
        ("agent2@mof.gov.test", Kind.ESCALATION),
        ("head@mof.gov.test", Kind.ESCALATION),
    }


def test_it_tells_an_escalation_to_staff_only(escalate, service_desk, mof_watcher, mof_head):
    # A lead whose role was taken away stays named on the team; the breach is not theirs.
    service_desk.lead = mof_watcher
    service_desk.save(update_fields=["lead"])
    event = escalate(EscalationLevel.Notify.TEAM_LEAD_AND_ADMINS)
    assert told(event) == {("head@mof.gov.test", Kind.ESCALATION)}


# -- Preferences -----------------------------------------------------------------------------


def test_it_keeps_a_digest_readers_news_for_the_digest(open_ticket, service_desk, mof_agent):
    Preference.objects.create(user=mof_agent, kind=Kind.TICKET_CREATED, mode="digest")
    ticket = open_ticket()
    created = last_event(ticket, TicketEvent.Kind.CREATED)
    notice = Notice.objects.get(event=created, user=mof_agent)
    assert notice.digest_pending is True
    assert mailed(created) == {"agent2@mof.gov.test"}


def test_it_sends_no_email_to_someone_who_turned_a_kind_off(open_ticket, service_desk, mof_agent):
    Preference.objects.create(user=mof_agent, kind=Kind.TICKET_CREATED, mode="off")
    ticket = open_ticket()
    created = last_event(ticket, TicketEvent.Kind.CREATED)
    # Still told in the app: "off" is about e-mail.
    notice = Notice.objects.get(event=created, user=mof_agent)
    assert notice.digest_pending is False
    assert mailed(created) == {"agent2@mof.gov.test"}


def test_it_mails_an_escalation_even_to_someone_who_turned_escalations_off(
    escalate, service_desk, mof_agent, mof_second_agent
):
    for agent in (mof_agent, mof_second_agent):
        Preference.objects.create(user=agent, kind=Kind.ESCALATION, mode="off")
    event = escalate(EscalationLevel.Notify.TEAM)
    assert mailed(event) == {"agent@mof.gov.test", "agent2@mof.gov.test"}


def test_it_tells_each_person_once_however_often_an_event_is_handled(open_ticket, service_desk):
    from notifications.services import notify_ticket_event

    ticket = open_ticket()
    created = last_event(ticket, TicketEvent.Kind.CREATED)
    assert notify_ticket_event(created) == 0
    # The team's two, and the requester's acknowledgement.
    assert Notice.objects.filter(event=created).count() == 3
    assert Outbox.objects.filter(ticket=ticket).count() == 3
