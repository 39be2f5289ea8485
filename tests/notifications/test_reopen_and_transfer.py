"""A reopen tells whoever handles the ticket; a transfer whose receiving team assigns
automatically tells the new assignee once."""

from accounts.models import Role
from agencies.models import Team
from core.pending_work import pending_work_drain
from mail.models import Outbox
from notifications.models import Kind, Notice
from tests.factories import MembershipFactory, UserFactory
from tickets import services
from tickets.models import TicketEvent


def last_event(ticket, kind: str) -> TicketEvent:
    return ticket.events.filter(kind=kind).latest("pk")


def test_it_tells_the_assignee_of_a_reopen(
    open_ticket, service_desk, mof_agent, mof_second_agent, committed
):
    ticket = open_ticket()
    with committed():
        services.ticket_update(ticket=ticket, actor=mof_second_agent, assignee=mof_agent)
        services.ticket_update(ticket=ticket, actor=mof_agent, status="resolved")
    with committed():
        services.ticket_reopen(ticket=ticket, actor=ticket.requester, reason="Still broken")
    reopened = last_event(ticket, TicketEvent.Kind.STATUS)
    notices = Notice.objects.filter(event=reopened)
    assert set(notices.values_list("user__email", "kind")) == {(mof_agent.email, Kind.REOPENED)}
    name = ticket.requester.get_full_name()
    assert notices.get().text == f"{name} reopened MOF-000001: Printer offline"
    assert Outbox.objects.filter(dedupe_key__startswith=f"event:{reopened.pk}:").count() == 1


def test_it_tells_the_team_of_a_reopen_while_nobody_is_assigned(
    open_ticket, service_desk, mof_agent, mof_second_agent, committed
):
    ticket = open_ticket()
    with committed():
        services.ticket_update(ticket=ticket, actor=mof_agent, status="resolved")
    with committed():
        services.ticket_update(ticket=ticket, actor=mof_agent, status="open")
    pending_work_drain()
    reopened = last_event(ticket, TicketEvent.Kind.STATUS)
    # The agent who reopened it is not told of their own action.
    told = set(Notice.objects.filter(event=reopened).values_list("user__email", "kind"))
    assert told == {(mof_second_agent.email, Kind.REOPENED)}


def test_it_does_not_tell_twice_of_a_reopen_by_the_requesters_reply(
    open_ticket, service_desk, mof_agent, mof_second_agent, committed
):
    ticket = open_ticket()
    with committed():
        services.ticket_update(ticket=ticket, actor=mof_second_agent, assignee=mof_agent)
        services.ticket_update(ticket=ticket, actor=mof_agent, status="resolved")
    with committed():
        services.ticket_reply(ticket=ticket, author=ticket.requester, body="It broke again.")
    told = Notice.objects.filter(user=mof_agent, ticket=ticket, kind__in=[
        Kind.REQUESTER_REPLY, Kind.REOPENED,
    ])  # fmt: skip
    assert list(told.values_list("kind", flat=True)) == [Kind.REQUESTER_REPLY]


def test_it_tells_the_new_assignee_of_a_transfer_once(open_ticket, mof_agent, nicta, committed):
    desk = Team.objects.create(agency=nicta, name="NICTA service desk", assignment="round_robin")
    nicta_agent = UserFactory(email="agent@nicta.gov.test", full_name="Alice Weah")
    MembershipFactory(user=nicta_agent, agency=nicta, role=Role.AGENT)
    colleague = UserFactory(email="agent2@nicta.gov.test", full_name="Bob Kamara")
    MembershipFactory(user=colleague, agency=nicta, role=Role.AGENT)
    desk.members.add(nicta_agent, colleague)
    nicta.intake_team = desk
    nicta.save(update_fields=["intake_team"])
    ticket = open_ticket()
    with committed():
        services.ticket_transfer(
            ticket=ticket, to_agency=nicta, reason="Their network switch failed.", actor=mof_agent
        )
    pending_work_drain()  # what a worker does after the commit, whatever is left to it
    ticket.refresh_from_db()
    assignee = ticket.assignee
    other = colleague if assignee == nicta_agent else nicta_agent
    notices = Notice.objects.filter(user=assignee, ticket=ticket)
    assert list(notices.values_list("kind", flat=True)) == [Kind.ASSIGNED]
    assert Outbox.objects.filter(to_address=assignee.email).count() == 1
    # The rest of the team hears of the transfer as before.
    told = Notice.objects.filter(user=other, ticket=ticket)
    assert list(told.values_list("kind", flat=True)) == [Kind.TRANSFERRED]
