"""The agent queue: its views, filters, sorting and pages, and what it never shows."""

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Role
from service_levels.models import SLAPolicy
from tests.factories import MembershipFactory, UserFactory
from tickets import services
from tickets.models import Ticket


@pytest.fixture
def moh_requester(moh):
    user = UserFactory(email="requester@moh.gov.test", full_name="Fatu Kamara")
    MembershipFactory(user=user, agency=moh, role=Role.REQUESTER)
    return user


@pytest.fixture
def mof_other_agent(mof):
    user = UserFactory(email="agent2@mof.gov.test", full_name="Grace Weah")
    MembershipFactory(user=user, agency=mof, role=Role.AGENT)
    return user


@pytest.fixture
def agent_client(client, mof_agent):
    client.force_login(mof_agent)
    return client


@pytest.fixture
def mof_ticket(open_ticket, mof_requester, printer_category, mof_service_desk):
    """Opens MOF tickets in the service desk's queue."""

    def mof_ticket(subject="Printer offline", **fields):
        return open_ticket(mof_requester, printer_category, subject=subject, **fields)

    return mof_ticket


def references(response) -> list[str]:
    """The references in the queue's table, in their order."""
    return re.findall(
        r'<th scope="row"><a href="[^"]+">([A-Z]+-\d+)</a></th>', response.content.decode()
    )


def test_it_refuses_requesters(client, mof_requester):
    client.force_login(mof_requester)
    assert client.get("/queue/").status_code == 403


def test_it_refuses_council_members(client, council_member):
    client.force_login(council_member)
    assert client.get("/queue/").status_code == 403


def test_it_sends_the_signed_out_to_sign_in(client, db):
    response = client.get("/queue/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_it_shows_my_open_tickets_by_default(agent_client, mof_agent, mof_other_agent, mof_ticket):
    mine = mof_ticket("Mine")
    theirs = mof_ticket("Theirs")
    mof_ticket("Nobody's")
    services.ticket_assign(ticket=mine, assignee=mof_agent, actor=mof_agent)
    services.ticket_assign(ticket=theirs, assignee=mof_other_agent, actor=mof_agent)
    response = agent_client.get("/queue/")
    assert references(response) == [mine.reference]
    assert '<a href="?view=mine" aria-current="page">Mine</a>' in response.content.decode()


def test_it_leaves_resolved_and_closed_tickets_out_of_the_views(
    agent_client, mof_agent, mof_ticket
):
    ticket = mof_ticket()
    services.ticket_update(ticket=ticket, actor=mof_agent, assignee=mof_agent, status="resolved")
    assert references(agent_client.get("/queue/?view=mine")) == []
    assert references(agent_client.get("/queue/?view=all")) == []


def test_it_shows_unassigned_tickets_of_my_teams(
    agent_client, mof, mof_agent, mof_service_desk, mof_ticket, mof_requester, payroll_category
):
    from agencies.models import Team

    mof_service_desk.members.add(mof_agent)
    payroll = Team.objects.create(agency=mof, name="Payroll")
    in_my_team = mof_ticket("Unassigned in my team")
    taken = mof_ticket("Taken")
    services.ticket_assign(ticket=taken, assignee=mof_agent, actor=mof_agent)
    other_team = mof_ticket("Another team's")
    services.ticket_update(ticket=other_team, actor=mof_agent, team=payroll)
    response = agent_client.get("/queue/?view=unassigned")
    assert references(response) == [in_my_team.reference]
    assert 'aria-current="page">Unassigned in my teams</a>' in response.content.decode()


def test_it_shows_all_open_tickets_of_my_agency_and_no_other(
    agent_client, mof_ticket, open_ticket, moh_requester, printer_category
):
    first, second = mof_ticket("First"), mof_ticket("Second")
    open_ticket(moh_requester, printer_category, subject="Health ministry printer")
    assert sorted(references(agent_client.get("/queue/?view=all"))) == sorted(
        [first.reference, second.reference]
    )


def test_it_leaves_out_tickets_transferred_away(
    agent_client, mof_agent, mof_ticket, nicta, mof_requester
):
    ticket = mof_ticket()
    services.ticket_transfer(ticket=ticket, to_agency=nicta, reason="E-mail", actor=mof_agent)
    assert references(agent_client.get("/queue/?view=all")) == []


def test_it_filters_by_status(agent_client, mof_agent, mof_ticket):
    waiting = mof_ticket("Waiting")
    mof_ticket("New")
    services.ticket_update(ticket=waiting, actor=mof_agent, status="pending")
    assert references(agent_client.get("/queue/?view=all&status=pending")) == [waiting.reference]


def test_it_finds_closed_tickets_when_asked_for_them(agent_client, mof_agent, mof_ticket):
    closed = mof_ticket("Done")
    mof_ticket("Still open")
    services.ticket_update(ticket=closed, actor=mof_agent, status="closed")
    assert references(agent_client.get("/queue/?view=all&status=closed")) == [closed.reference]


def test_it_filters_by_priority(agent_client, mof_ticket):
    urgent = mof_ticket("Urgent", impact="high", urgency="high")
    mof_ticket("Routine")
    assert references(agent_client.get("/queue/?view=all&priority=P1")) == [urgent.reference]


def test_it_filters_by_team(agent_client, mof, mof_agent, mof_ticket):
    from agencies.models import Team

    network = Team.objects.create(agency=mof, name="Network")
    moved = mof_ticket("Switch down")
    mof_ticket("Printer")
    services.ticket_update(ticket=moved, actor=mof_agent, team=network)
    response = agent_client.get(f"/queue/?view=all&team={network.pk}")
    assert references(response) == [moved.reference]


def test_it_does_not_offer_another_agencys_teams(agent_client, moh, mof_service_desk):
    from agencies.models import Team

    other = Team.objects.create(agency=moh, name="Health network")
    response = agent_client.get(f"/queue/?view=all&team={other.pk}")
    assert "Health network" not in response.content.decode()
    assert "team" in response.context["filter_form"].errors


def test_it_filters_by_assignee(agent_client, mof_agent, mof_other_agent, mof_ticket):
    mine, theirs, nobodys = mof_ticket("Mine"), mof_ticket("Theirs"), mof_ticket("Nobody's")
    services.ticket_assign(ticket=mine, assignee=mof_agent, actor=mof_agent)
    services.ticket_assign(ticket=theirs, assignee=mof_other_agent, actor=mof_agent)
    assert references(agent_client.get("/queue/?view=all&assignee=me")) == [mine.reference]
    assert references(agent_client.get("/queue/?view=all&assignee=nobody")) == [nobodys.reference]
    response = agent_client.get(f"/queue/?view=all&assignee={mof_other_agent.pk}")
    assert references(response) == [theirs.reference]


def test_it_filters_by_category(
    agent_client, mof_ticket, open_ticket, mof_requester, payroll_category
):
    payroll = open_ticket(mof_requester, payroll_category, subject="Payslip missing")
    mof_ticket("Printer")
    response = agent_client.get(f"/queue/?view=all&category={payroll_category.pk}")
    assert references(response) == [payroll.reference]


def test_it_searches_subjects_and_internal_notes(agent_client, mof_agent, mof_ticket):
    scanner = mof_ticket("Scanner jammed")
    noted = mof_ticket("Screen flickers")
    services.ticket_reply(
        ticket=noted, author=mof_agent, body="Replace the toner cartridge", internal=True,
        as_agent=True,
    )  # fmt: skip
    assert references(agent_client.get("/queue/?view=all&q=scanner")) == [scanner.reference]
    assert references(agent_client.get("/queue/?view=all&q=toner")) == [noted.reference]
    assert references(agent_client.get(f"/queue/?view=all&q={noted.reference}")) == [
        noted.reference
    ]


def test_it_never_finds_another_agencys_ticket_by_text(
    agent_client, mof_ticket, open_ticket, moh_requester, printer_category
):
    ours = mof_ticket("Printer jammed")
    theirs = open_ticket(moh_requester, printer_category, subject="Printer jammed")
    assert references(agent_client.get("/queue/?view=all&q=printer+jammed")) == [ours.reference]
    assert references(agent_client.get(f"/queue/?view=all&q={theirs.reference}")) == []


def test_it_keeps_a_bad_filter_from_breaking_the_others(agent_client, mof_ticket):
    urgent = mof_ticket("Urgent", impact="high", urgency="high")
    mof_ticket("Routine")
    response = agent_client.get("/queue/?view=all&priority=P1&status=nonsense")
    assert response.status_code == 200
    assert references(response) == [urgent.reference]
    assert "There is a problem" in response.content.decode()


def _age(ticket: Ticket, *, days: int) -> None:
    # Test setup: give the ticket a past. No service rewrites history, so update directly.
    then = timezone.now() - dt.timedelta(days=days)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=then, updated_at=then)


def test_it_sorts_by_priority_then_oldest_first(agent_client, mof_ticket):
    low_old = mof_ticket("Low, old", impact="low", urgency="low")
    high_new = mof_ticket("High, new", impact="high", urgency="high")
    high_old = mof_ticket("High, old", impact="high", urgency="high")
    medium = mof_ticket("Medium", impact="medium", urgency="medium")
    _age(low_old, days=9)
    _age(high_old, days=5)
    _age(high_new, days=1)
    assert references(agent_client.get("/queue/?view=all")) == [
        high_old.reference,
        high_new.reference,
        medium.reference,
        low_old.reference,
    ]


def test_it_sorts_by_last_update(agent_client, mof_agent, mof_ticket):
    first, second, third = mof_ticket("One"), mof_ticket("Two"), mof_ticket("Three")
    for days, ticket in enumerate([third, first, second], start=1):
        _age(ticket, days=days)
    services.ticket_update(ticket=second, actor=mof_agent, status="open")
    assert references(agent_client.get("/queue/?view=all&sort=updated")) == [
        second.reference,
        third.reference,
        first.reference,
    ]


def test_it_sorts_by_age(agent_client, mof_ticket):
    first, second, third = mof_ticket("One"), mof_ticket("Two"), mof_ticket("Three")
    _age(second, days=3)
    _age(third, days=2)
    _age(first, days=1)
    assert references(agent_client.get("/queue/?view=all&sort=age")) == [
        second.reference,
        third.reference,
        first.reference,
    ]


def test_it_shows_25_tickets_a_page_and_keeps_the_filters_in_page_links(agent_client, mof_ticket):
    for number in range(30):
        mof_ticket(f"Printer {number}")
    first_page = agent_client.get("/queue/?view=all&priority=P4&sort=age")
    assert len(references(first_page)) == 25
    page_links = re.findall(r'<a href="([^"]+)" rel="next">', first_page.content.decode())
    assert page_links == ["?view=all&amp;priority=P4&amp;sort=age&amp;page=2"]
    second_page = agent_client.get("/queue/?view=all&priority=P4&sort=age&page=2")
    assert len(references(second_page)) == 5
    assert set(references(first_page)).isdisjoint(references(second_page))
    assert "Page 2 of 2" in second_page.content.decode()


def test_it_keeps_the_filters_in_the_view_tabs(agent_client, mof_ticket):
    response = agent_client.get("/queue/?view=all&priority=P1&page=1")
    assert '<a href="?view=mine&amp;priority=P1">Mine</a>' in response.content.decode()


def test_it_labels_every_row_checkbox_and_says_status_in_words(agent_client, mof_ticket):
    ticket = mof_ticket(impact="high", urgency="high")
    html = agent_client.get("/queue/?view=all").content.decode()
    assert (
        f'<label for="select-{ticket.pk}" class="visually-hidden">Select {ticket.reference}' in html
    )
    assert "P1 – critical" in html
    assert '<span class="tag ticket-status">New</span>' in html
    assert 'role="search"' in html
    assert "<caption>Tickets: All open in my agency" in html
    assert f'<time datetime="{ticket.updated_at.isoformat()}">' in html


def test_it_lets_a_platform_admin_see_every_agency_or_one(
    client, platform_admin, mof_ticket, open_ticket, moh_requester, printer_category
):
    ours = mof_ticket()
    theirs = open_ticket(moh_requester, printer_category, subject="Health printer")
    client.force_login(platform_admin)
    assert sorted(references(client.get("/queue/?view=all"))) == sorted(
        [ours.reference, theirs.reference]
    )
    assert references(client.get("/queue/?view=all&agency=MOH")) == [theirs.reference]


def test_it_lets_an_agency_admin_work_the_queue(client, mof_head, mof_ticket):
    ticket = mof_ticket()
    client.force_login(mof_head)
    assert references(client.get("/queue/?view=all")) == [ticket.reference]


def _queue_queries(client, django_assert_num_queries, path="/queue/?view=all"):
    # 1 session, 1 user, 1 memberships and 1 unread-notices count (header),
    # 1 agents of the agency (assignee lists),
    # 1 teams, 1 categories (filter lists), 1 counts of every view (which is the list's own
    # count with no filter chosen), 1 page of tickets with their requester, team, assignee,
    # category and agencies, and their earliest due time; 2 the saved views (workspace).
    # A filter chosen adds 1 count of the filtered list.
    filtered = any(name in path for name in ("q=", "status=", "priority=", "sla=", "team="))
    with django_assert_num_queries(12 if filtered else 11):
        response = client.get(path)
    return response


def test_it_lists_3_tickets_in_a_fixed_number_of_queries(
    agent_client, mof_ticket, django_assert_num_queries
):
    for number in range(3):
        mof_ticket(f"Printer {number}")
    assert len(references(_queue_queries(agent_client, django_assert_num_queries))) == 3


def test_it_lists_30_tickets_in_the_same_number_of_queries(
    agent_client, mof_agent, mof_ticket, django_assert_num_queries
):
    for number in range(30):
        ticket = mof_ticket(f"Printer {number}")
        services.ticket_assign(ticket=ticket, assignee=mof_agent, actor=mof_agent)
    assert len(references(_queue_queries(agent_client, django_assert_num_queries))) == 25


# -- Service levels ---------------------------------------------------------------------------

# The queue is looked at at 10:00; the tickets were reported in the hour before.
NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def p4_policy(db):
    """First response within an hour, resolution within four, counted around the clock."""
    return SLAPolicy.objects.create(
        priority="P4", response_minutes=60, resolution_minutes=240, business_hours=False
    )


@pytest.fixture
def clock():
    with time_machine.travel(NOW - dt.timedelta(hours=2), tick=False) as traveller:
        yield traveller


@pytest.fixture
def sla_client(clock, client, mof_agent):
    """Signed in under the moved clock, so that the session is not already old."""
    client.force_login(mof_agent)
    return client


@pytest.fixture
def due_tickets(clock, p4_policy, mof_agent, mof_ticket):
    """Five tickets whose clocks stand differently at NOW (P4 unless said)."""
    clock.move_to(NOW - dt.timedelta(hours=2))
    overdue = mof_ticket("Overdue")  # first response due 09:00
    clock.move_to(NOW - dt.timedelta(minutes=50))
    paused = mof_ticket("Paused")  # due 10:10, but waiting for the requester from 09:20
    clock.move_to(NOW - dt.timedelta(minutes=40))
    services.ticket_update(ticket=paused, actor=mof_agent, status=Ticket.Status.PENDING)
    answered = mof_ticket("Answered")  # resolution due 13:20 once answered
    services.ticket_reply(ticket=answered, author=mof_agent, body="Looking.", as_agent=True)
    clock.move_to(NOW - dt.timedelta(minutes=20))
    soon = mof_ticket("Soon")  # first response due 10:40
    no_policy = mof_ticket("Critical", impact="high", urgency="high")  # P1: no policy
    clock.move_to(NOW)
    return {
        "overdue": overdue,
        "soon": soon,
        "answered": answered,
        "paused": paused,
        "no_policy": no_policy,
    }


def test_it_sorts_by_the_soonest_due_time_with_running_clocks_first(sla_client, due_tickets):
    response = sla_client.get("/queue/?view=all&sort=due")
    assert references(response) == [
        due_tickets[name].reference
        for name in ("overdue", "soon", "answered", "paused", "no_policy")
    ]
    assert '<option value="due" selected>Due soonest</option>' in response.content.decode()


def test_it_shows_when_each_ticket_is_due_in_words(sla_client, due_tickets):
    html = sla_client.get("/queue/?view=all&sort=due").content.decode()
    due = {}
    for row in re.findall(r"<tr data-ticket[^>]*>(.*?)</tr>", html, re.S):
        reference = re.search(r'<th scope="row"><a href="[^"]+">([A-Z]+-\d+)</a>', row).group(1)
        # Select, subject, requester, priority, status, due.
        due[reference] = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[5].strip()
    assert due == {
        due_tickets["overdue"].reference: (
            '<time datetime="2026-11-24T09:00:00+00:00" class="sla-due sla-due-late">'
            "overdue 1 h</time>"
        ),
        due_tickets["soon"].reference: (
            '<time datetime="2026-11-24T10:40:00+00:00" class="sla-due sla-due-running">'
            "in 40 min</time>"
        ),
        due_tickets["answered"].reference: (
            '<time datetime="2026-11-24T13:20:00+00:00" class="sla-due sla-due-running">'
            "in 3 h 20 min</time>"
        ),
        due_tickets["paused"].reference: '<span class="sla-due sla-due-paused">paused</span>',
        due_tickets["no_policy"].reference: '<span class="hint">none</span>',
    }
    assert '<th scope="col">Due</th>' in html


def test_it_finds_tickets_due_within_the_hour_or_overdue(sla_client, due_tickets):
    response = sla_client.get("/queue/?view=all&sla=due_soon&sort=due")
    assert references(response) == [due_tickets["overdue"].reference, due_tickets["soon"].reference]
    assert "Clear filters" in response.content.decode()


def test_it_finds_breached_tickets(sla_client, clock, p4_policy, mof_agent, mof_ticket):
    late_answer = mof_ticket("Answered late")
    clock.shift(dt.timedelta(hours=1, minutes=5))
    services.ticket_reply(ticket=late_answer, author=mof_agent, body="Sorry.", as_agent=True)
    marked = mof_ticket("Marked by an escalation")
    mof_ticket("On time")
    # Test setup: the escalation task, not ours, marks breaches; do as it would.
    Ticket.objects.filter(pk=marked.pk).update(resolution_breached=True)
    response = sla_client.get("/queue/?view=all&sla=breached&sort=age")
    assert references(response) == [late_answer.reference, marked.reference]


def test_it_sorts_and_filters_by_service_level_in_the_same_number_of_queries(
    sla_client, clock, p4_policy, mof_agent, mof_ticket, django_assert_num_queries
):
    for number in range(30):
        mof_ticket(f"Printer {number}")
        clock.shift(dt.timedelta(minutes=1))
    path = "/queue/?view=all&sort=due&sla=due_soon"
    response = _queue_queries(sla_client, django_assert_num_queries, path)
    assert len(references(response)) == 25
    assert "in 31 min" in response.content.decode()


def test_it_ranks_search_results_best_match_first(
    agent_client, mof_requester, printer_category, open_ticket
):
    open_ticket(mof_requester, printer_category, subject="Printer jam", description="Paper stuck.")
    best = open_ticket(
        mof_requester, printer_category, subject="Toner empty", description="Toner toner toner."
    )
    response = agent_client.get("/queue/?view=all&q=toner")
    assert references(response)[0] == best.reference


def test_it_puts_an_exact_reference_first(
    agent_client, mof_requester, printer_category, open_ticket
):
    first = open_ticket(mof_requester, printer_category, subject="MOF-000002 follow-up")
    second = open_ticket(mof_requester, printer_category, subject="Printer")
    response = agent_client.get(f"/queue/?view=all&q={second.reference}")
    assert references(response)[0] == second.reference
    assert first.reference in references(response)


# -- Views offered ----------------------------------------------------------------------------


def view_tabs(response) -> list[str]:
    """The labels of the queue's view tabs, in their order."""
    nav = re.search(r'<nav class="queue-views".*?</nav>', response.content.decode(), re.S)
    return re.findall(r"<li><a [^>]+>([^<]+)</a>", nav.group(0))


def test_it_offers_the_my_teams_view_to_an_agent_on_a_team(
    agent_client, mof_agent, mof_service_desk
):
    mof_service_desk.members.add(mof_agent)
    assert view_tabs(agent_client.get("/queue/")) == [
        "Mine",
        "Unassigned in my teams",
        "Transferred to my agency",
        "Due within an hour or overdue",
        "All open in my agency",
    ]


def test_it_offers_no_my_teams_view_to_an_agent_on_no_team(agent_client, mof_service_desk):
    assert view_tabs(agent_client.get("/queue/")) == [
        "Mine",
        "Transferred to my agency",
        "Due within an hour or overdue",
        "All open in my agency",
    ]


def test_it_offers_a_platform_admin_on_no_team_no_my_teams_or_my_agency_view(
    client, platform_admin, mof_service_desk
):
    client.force_login(platform_admin)
    assert view_tabs(client.get("/queue/")) == ["Mine", "Due within an hour or overdue", "All open"]
    assert view_tabs(client.get("/queue/?agency=MOF")) == [
        "Mine",
        "Transferred to my agency",
        "Due within an hour or overdue",
        "All open",
    ]


def test_it_shows_the_default_view_for_a_my_teams_view_not_offered(
    client, platform_admin, mof_ticket
):
    assert mof_ticket().assignee is None
    client.force_login(platform_admin)
    response = client.get("/queue/?view=unassigned")
    assert response.status_code == 200
    assert 'aria-current="page">Mine</a>' in response.content.decode()
    assert references(response) == []


def test_it_lists_a_team_members_queue_in_the_same_number_of_queries(
    agent_client, mof_agent, mof_service_desk, mof_ticket, django_assert_num_queries
):
    mof_service_desk.members.add(mof_agent)
    mof_ticket()
    response = _queue_queries(agent_client, django_assert_num_queries, "/queue/?view=unassigned")
    assert len(references(response)) == 1
    assert "Unassigned in my teams" in view_tabs(response)
