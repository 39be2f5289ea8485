"""The ticket services against the real database: numbering, routing, history, transfers."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from accounts.models import Role
from agencies.models import Team
from tests.factories import MembershipFactory, UserFactory
from tickets import services
from tickets.models import PRIORITY_MATRIX, Ticket, TicketEvent, priority_for
from tickets.selectors import ticket_get_for_user, tickets_visible_to


@pytest.mark.parametrize(
    ("impact", "urgency", "priority"),
    [
        ("high", "high", "P1"),
        ("high", "medium", "P2"),
        ("medium", "high", "P2"),
        ("high", "low", "P3"),
        ("medium", "medium", "P3"),
        ("low", "high", "P3"),
        ("medium", "low", "P4"),
        ("low", "medium", "P4"),
        ("low", "low", "P4"),
    ],
)
def test_it_derives_priority_from_impact_and_urgency(impact, urgency, priority):
    assert priority_for(impact, urgency) == priority


def test_it_covers_every_combination_in_the_matrix():
    assert len(PRIORITY_MATRIX) == 9


def test_it_numbers_tickets_per_handling_agency(
    mof_requester, printer_category, email_category, open_ticket
):
    first = open_ticket(mof_requester, printer_category)
    second = open_ticket(mof_requester, printer_category)
    nicta_ticket = open_ticket(mof_requester, email_category)
    assert [first.reference, second.reference] == ["MOF-000001", "MOF-000002"]
    assert nicta_ticket.reference == "NICTA-000001"


@pytest.mark.django_db(transaction=True)
def test_it_gives_unique_references_to_tickets_created_at_once(mof, printer_category):
    requester = UserFactory(email="busy@mof.gov.test")
    MembershipFactory(user=requester, agency=mof, role=Role.REQUESTER)
    references, errors = [], []
    start = threading.Barrier(8)

    def create():
        try:
            start.wait()
            ticket = services.ticket_create(
                requester=requester, requester_agency=mof, category=printer_category,
                subject="Printer", description="Broken", impact="low", urgency="low",
            )  # fmt: skip
            references.append(ticket.reference)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(references) == [f"MOF-{n:06d}" for n in range(1, 9)]


def test_it_routes_to_the_requesters_own_agency_by_default(
    mof_requester, printer_category, mof_service_desk, open_ticket
):
    ticket = open_ticket(mof_requester, printer_category)
    assert (ticket.agency.code, ticket.team) == ("MOF", mof_service_desk)
    assert ticket.requester_agency.code == "MOF"


def test_it_routes_a_shared_service_to_its_agency_and_team(
    mof_requester, email_category, nicta_email_team, open_ticket
):
    ticket = open_ticket(mof_requester, email_category)
    assert (ticket.agency.code, ticket.team) == ("NICTA", nicta_email_team)


def test_it_refuses_another_agencys_category(moh, payroll_category, open_ticket):
    requester = UserFactory(email="nurse@moh.gov.test")
    MembershipFactory(user=requester, agency=moh, role=Role.REQUESTER)
    with pytest.raises(ValidationError, match="belongs to another agency"):
        open_ticket(requester, payroll_category)
    assert not Ticket.objects.exists()


def test_it_refuses_a_local_service_to_a_member_of_the_public(printer_category, open_ticket):
    citizen = UserFactory(email="citizen@mail.example")
    with pytest.raises(ValidationError, match="you have none"):
        open_ticket(citizen, printer_category)


@pytest.mark.parametrize(
    ("fields", "message"),
    [({"subject": "  "}, "Enter a subject"), ({"description": ""}, "Describe the problem")],
)
def test_it_refuses_empty_text(mof_requester, printer_category, open_ticket, fields, message):
    with pytest.raises(ValidationError, match=message):
        open_ticket(mof_requester, printer_category, **fields)
    assert not Ticket.objects.exists()


def test_it_records_the_creation_in_the_history(mof_requester, printer_category, open_ticket):
    ticket = open_ticket(mof_requester, printer_category)
    event = ticket.events.get()
    assert (event.kind, event.actor) == (TicketEvent.Kind.CREATED, mof_requester)


def test_it_refuses_to_edit_or_delete_history(mof_requester, printer_category, open_ticket):
    event = open_ticket(mof_requester, printer_category).events.get()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        TicketEvent.objects.filter(pk=event.pk).update(body="rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        TicketEvent.objects.filter(pk=event.pk).delete()


def test_it_records_the_first_response_and_opens_the_ticket(
    mof_requester, mof_agent, printer_category, open_ticket
):
    ticket = open_ticket(mof_requester, printer_category)
    services.ticket_reply(ticket=ticket, author=mof_agent, body="On my way.", as_agent=True)
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None
    assert ticket.status == Ticket.Status.OPEN


def test_it_does_not_count_an_internal_note_as_a_response(
    mof_requester, mof_agent, printer_category, open_ticket
):
    ticket = open_ticket(mof_requester, printer_category)
    services.ticket_reply(
        ticket=ticket, author=mof_agent, body="Toner?", internal=True, as_agent=True
    )
    ticket.refresh_from_db()
    assert ticket.first_response_at is None


def test_it_reopens_a_resolved_ticket_when_the_requester_replies(
    mof_requester, mof_agent, printer_category, open_ticket
):
    ticket = open_ticket(mof_requester, printer_category)
    services.ticket_update(ticket=ticket, actor=mof_agent, status=Ticket.Status.RESOLVED)
    services.ticket_reply(ticket=ticket, author=mof_requester, body="Still broken.")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolved_at) == (Ticket.Status.OPEN, None)


def test_it_refuses_a_reply_on_a_closed_ticket(mof_requester, printer_category, open_ticket):
    ticket = open_ticket(mof_requester, printer_category)
    services.ticket_close_by_requester(ticket=ticket, actor=mof_requester)
    with pytest.raises(ValidationError, match="closed"):
        services.ticket_reply(ticket=ticket, author=mof_requester, body="Hello?")


def test_it_refuses_a_stale_change(mof_requester, mof_agent, printer_category, open_ticket):
    ticket = open_ticket(mof_requester, printer_category)
    seen_version = ticket.version
    services.ticket_update(ticket=ticket, actor=mof_agent, impact="high")
    with pytest.raises(services.StaleTicket):
        services.ticket_update(
            ticket=ticket, actor=mof_agent, expected_version=seen_version, urgency="high"
        )
    ticket.refresh_from_db()
    assert (ticket.impact, ticket.urgency) == ("high", "medium")


def test_it_changes_priority_with_impact_and_urgency(
    mof_requester, mof_agent, printer_category, open_ticket
):
    ticket = open_ticket(mof_requester, printer_category)
    services.ticket_update(ticket=ticket, actor=mof_agent, impact="high", urgency="high")
    ticket.refresh_from_db()
    assert ticket.priority == "P1"
    assert ticket.events.filter(kind="priority", data__new="P1").exists()


def test_it_assigns_only_agents_of_the_handling_agency(
    mof_requester, moh_agent, mof_agent, printer_category, open_ticket
):
    ticket = open_ticket(mof_requester, printer_category)
    with pytest.raises(ValidationError, match="not an agent of MOF"):
        services.ticket_assign(ticket=ticket, assignee=moh_agent, actor=mof_agent)
    services.ticket_assign(ticket=ticket, assignee=mof_agent, actor=mof_agent)
    ticket.refresh_from_db()
    assert ticket.assignee == mof_agent


def test_it_transfers_keeping_reference_start_and_sender_access(
    mof_requester, mof_agent, printer_category, nicta, nicta_email_team, open_ticket
):
    nicta.intake_team = nicta_email_team
    nicta.save(update_fields=["intake_team"])
    ticket = open_ticket(mof_requester, printer_category)
    created_at = ticket.created_at
    mof_membership = mof_agent.memberships.get()
    services.ticket_transfer(
        ticket=ticket, to_agency=nicta, reason="Mail server fault", actor=mof_agent
    )
    ticket.refresh_from_db()
    assert (ticket.reference, ticket.created_at) == ("MOF-000001", created_at)
    assert (ticket.agency, ticket.team) == (nicta, nicta_email_team)
    assert ticket_get_for_user(mof_agent, mof_membership, "MOF-000001") == ticket
    assert ticket.events.filter(kind="transfer", data__new="NICTA").exists()


def test_it_merges_a_duplicate_and_makes_its_requester_a_watcher(
    mof_requester, mof_agent, printer_category, open_ticket
):
    colleague = UserFactory(email="colleague@mof.gov.test")
    MembershipFactory(user=colleague, agency=mof_requester.memberships.get().agency)
    target = open_ticket(mof_requester, printer_category)
    duplicate = open_ticket(colleague, printer_category)
    services.ticket_merge(duplicate=duplicate, target=target, actor=mof_agent)
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into) == (Ticket.Status.CLOSED, target)
    assert list(target.watchers.all()) == [colleague]


def test_it_links_two_tickets_once(mof_requester, mof_agent, printer_category, open_ticket):
    first, second = (open_ticket(mof_requester, printer_category) for _ in range(2))
    services.ticket_link(ticket=second, other=first, actor=mof_agent)
    with pytest.raises(ValidationError, match="already linked"):
        services.ticket_link(ticket=first, other=second, actor=mof_agent)


@pytest.fixture
def staffed_desk(mof, mof_service_desk):
    agents = []
    for n in range(3):
        agent = UserFactory(email=f"agent{n}@mof.gov.test")
        MembershipFactory(user=agent, agency=mof, role=Role.AGENT)
        mof_service_desk.members.add(agent)
        agents.append(agent)
    return agents


def test_it_assigns_round_robin(
    mof_requester, mof_service_desk, staffed_desk, printer_category, open_ticket
):
    mof_service_desk.assignment = Team.Assignment.ROUND_ROBIN
    mof_service_desk.save(update_fields=["assignment"])
    assignees = [open_ticket(mof_requester, printer_category).assignee for _ in range(4)]
    assert assignees == [*staffed_desk, staffed_desk[0]]


def test_it_assigns_to_the_agent_with_fewest_open_tickets(
    mof_requester, mof_service_desk, staffed_desk, printer_category, open_ticket
):
    busy = open_ticket(mof_requester, printer_category)
    services.ticket_assign(ticket=busy, assignee=staffed_desk[0], actor=staffed_desk[0])
    mof_service_desk.assignment = Team.Assignment.FEWEST_OPEN
    mof_service_desk.save(update_fields=["assignment"])
    assert open_ticket(mof_requester, printer_category).assignee == staffed_desk[1]


def test_it_assigns_nobody_without_a_strategy(
    mof_requester, staffed_desk, printer_category, open_ticket
):
    assert open_ticket(mof_requester, printer_category).assignee is None


def test_it_shows_requesters_only_their_own_and_watched_tickets(
    mof_requester, printer_category, open_ticket, mof
):
    colleague = UserFactory(email="colleague@mof.gov.test")
    MembershipFactory(user=colleague, agency=mof)
    own = open_ticket(mof_requester, printer_category)
    theirs = open_ticket(colleague, printer_category)
    membership = mof_requester.memberships.get()
    assert list(tickets_visible_to(mof_requester, membership)) == [own]
    theirs.watchers.add(mof_requester)
    assert set(tickets_visible_to(mof_requester, membership)) == {own, theirs}


def test_it_shows_council_members_no_tickets(
    council_member, mof_requester, printer_category, open_ticket
):
    open_ticket(mof_requester, printer_category)
    assert not tickets_visible_to(council_member, council_member.memberships.get()).exists()


def test_it_never_finds_another_agencys_ticket_by_search(
    mof_requester, moh_agent, printer_category, open_ticket
):
    open_ticket(mof_requester, printer_category, subject="Toner cartridge empty")
    visible = tickets_visible_to(moh_agent, moh_agent.memberships.get())
    assert not visible.filter(services.search_query_filter("toner", include_notes=True)).exists()


def test_it_finds_a_ticket_by_words_in_a_reply(
    mof_requester, mof_agent, printer_category, open_ticket
):
    ticket = open_ticket(mof_requester, printer_category)
    services.ticket_reply(
        ticket=ticket, author=mof_agent, body="Replaced the fuser.", as_agent=True
    )
    visible = tickets_visible_to(mof_requester, mof_requester.memberships.get())
    assert list(visible.filter(services.search_query_filter("fuser", include_notes=False))) == [
        ticket
    ]


def test_it_searches_internal_notes_for_agents_only(
    mof_requester, mof_agent, printer_category, open_ticket
):
    ticket = open_ticket(mof_requester, printer_category)
    services.ticket_reply(
        ticket=ticket, author=mof_agent, body="Vendor contract 7731", internal=True, as_agent=True
    )
    assert Ticket.objects.filter(services.search_query_filter("7731", include_notes=True)).exists()
    assert not Ticket.objects.filter(
        services.search_query_filter("7731", include_notes=False)
    ).exists()


def test_it_finds_a_ticket_by_part_of_its_reference(mof_requester, printer_category, open_ticket):
    ticket = open_ticket(mof_requester, printer_category)
    assert list(
        Ticket.objects.filter(services.search_query_filter("000001", include_notes=False))
    ) == [ticket]
