"""The queue's built-in views: who finds which ticket without a filter, their counts, and
what each costs."""

import datetime as dt
import re

import pytest
import time_machine

from accounts.models import Role
from service_levels.models import SLAPolicy
from tests.factories import MembershipFactory, UserFactory
from tickets import filters, services
from tickets.models import Ticket


@pytest.fixture
def mof_colleague(mof):
    user = UserFactory(email="grace@mof.gov.test", full_name="Grace Weah")
    MembershipFactory(user=user, agency=mof, role=Role.AGENT)
    return user


@pytest.fixture
def agent_client(client, mof_agent, mof_service_desk):
    mof_service_desk.members.add(mof_agent)
    client.force_login(mof_agent)
    return client


@pytest.fixture
def mof_ticket(open_ticket, mof_requester, printer_category, mof_service_desk):
    def mof_ticket(subject="Printer offline", **fields):
        return open_ticket(mof_requester, printer_category, subject=subject, **fields)

    return mof_ticket


def references(response) -> list[str]:
    return re.findall(r'data-ticket="([A-Z]+-\d+)"', response.content.decode())


def view_count(response, label: str) -> str:
    match = re.search(
        re.escape(label) + r'</a> <span class="view-count">([^<]+)<', response.content.decode()
    )
    assert match, f"no count beside {label}"
    return match.group(1)


def test_it_shows_a_ticket_transferred_in_under_its_own_view(
    agent_client, moh_requester, moh_agent, nicta, printer_category, open_ticket, mof_ticket, mof
):
    mof_ticket("Ours from the start")
    arrived = open_ticket(moh_requester, printer_category, subject="Came from MOH")
    services.ticket_transfer(ticket=arrived, to_agency=mof, reason="Yours", actor=moh_agent)
    response = agent_client.get("/queue/?view=transferred")
    assert references(response) == [arrived.reference]
    assert view_count(response, "Transferred to my agency") == "1"


def test_it_leaves_a_ticket_sent_onwards_out_of_the_transferred_view(
    agent_client, moh_requester, moh_agent, nicta, mof_agent, printer_category, open_ticket, mof
):
    ticket = open_ticket(moh_requester, printer_category, subject="Passing through")
    services.ticket_transfer(ticket=ticket, to_agency=mof, reason="Yours", actor=moh_agent)
    services.ticket_transfer(ticket=ticket, to_agency=nicta, reason="NICTA's", actor=mof_agent)
    assert references(agent_client.get("/queue/?view=transferred")) == []


def test_it_shows_a_ticket_assigned_to_someone_else_under_all_but_not_mine(
    agent_client, mof_agent, mof_colleague, mof_ticket
):
    ticket = mof_ticket("Round robin gave it to Grace")
    services.ticket_assign(ticket=ticket, assignee=mof_colleague, actor=mof_agent)
    assert references(agent_client.get("/queue/?view=mine")) == []
    assert references(agent_client.get("/queue/?view=all")) == [ticket.reference]


NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)


def test_it_shows_tickets_due_within_an_hour_or_overdue(client, mof_agent, mof_ticket, db):
    SLAPolicy.objects.create(
        priority="P4", response_minutes=60, resolution_minutes=240, business_hours=False
    )
    with time_machine.travel(NOW - dt.timedelta(hours=3), tick=False) as clock:
        overdue = mof_ticket("Overdue")
        clock.move_to(NOW - dt.timedelta(minutes=30))
        soon = mof_ticket("Due in half an hour")
        clock.move_to(NOW + dt.timedelta(hours=1))
        later = mof_ticket("Due in two hours")  # response due at NOW + 2h: not yet
        clock.move_to(NOW)
        client.force_login(mof_agent)
        response = client.get("/queue/?view=due")
    assert set(references(response)) == {overdue.reference, soon.reference}
    assert later.reference not in references(response)
    assert view_count(response, "Due within an hour or overdue") == "2"


def test_it_counts_every_view(agent_client, mof_agent, mof_colleague, mof_ticket):
    mine = mof_ticket("Mine")
    services.ticket_assign(ticket=mine, assignee=mof_agent, actor=mof_agent)
    theirs = mof_ticket("Theirs")
    services.ticket_assign(ticket=theirs, assignee=mof_colleague, actor=mof_agent)
    mof_ticket("Nobody's")
    closed = mof_ticket("Done")
    services.ticket_update(ticket=closed, actor=mof_agent, status=Ticket.Status.CLOSED)
    response = agent_client.get("/queue/")
    assert view_count(response, "Mine") == "1"
    assert view_count(response, "Unassigned in my teams") == "1"
    assert view_count(response, "Transferred to my agency") == "0"
    assert view_count(response, "All open in my agency") == "3"


def test_it_stops_counting_at_the_cap(mof_agent, mof_ticket):
    for number in range(4):
        mof_ticket(f"Printer {number}")
    tickets = Ticket.objects.all()
    assert filters.count_capped(tickets, cap=3) == (3, True)
    assert filters.count_capped(tickets, cap=4) == (4, False)
    assert filters.count_capped(tickets.none(), cap=3) == (0, False)


def test_it_shows_a_capped_count_with_a_plus():
    from django.template import Context, Template

    template = Template("{% load queue_counts %}{% count_label 1000 True %} {{ pair|count_label }}")
    assert template.render(Context({"pair": (12, False)})) == "1,000+ 12"


def test_it_keeps_the_filters_as_a_query_string(agent_client, mof_ticket):
    mof_ticket("Toner empty")
    response = agent_client.get("/queue/?view=all&q=toner&sort=updated")
    html = response.content.decode()
    assert 'name="q"' in html and 'value="toner"' in html
    assert '<details class="queue-filters" open>' in html


def test_it_folds_the_filters_away_when_none_is_chosen(agent_client):
    html = agent_client.get("/queue/").content.decode()
    assert '<details class="queue-filters">' in html


def test_it_answers_the_workspace_script_with_the_queue_alone(agent_client, mof_ticket):
    ticket = mof_ticket()
    response = agent_client.get("/queue/?view=all", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="queue-main"')
    assert ticket.reference in html
    assert "<html" not in html


VIEWS = ["mine", "unassigned", "transferred", "due", "all"]


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("tickets", [2, 30])
def test_it_shows_each_view_in_a_fixed_number_of_queries(
    agent_client, mof, mof_agent, moh_agent, moh_requester, printer_category, open_ticket,
    mof_ticket, django_assert_num_queries, view, tickets,
):  # fmt: skip
    # Due within the hour from the start, so that every view lists some.
    SLAPolicy.objects.create(
        priority="P4", response_minutes=30, resolution_minutes=240, business_hours=False
    )
    arrived = open_ticket(moh_requester, printer_category, subject="Came from MOH")
    services.ticket_transfer(ticket=arrived, to_agency=mof, reason="Yours", actor=moh_agent)
    for number in range(tickets):
        ticket = mof_ticket(f"Printer {number}")
        if number % 2:
            services.ticket_assign(ticket=ticket, assignee=mof_agent, actor=mof_agent)
    # 1 session, 1 user, 1 memberships and 1 unread-notices count (header),
    # 1 agents of the agency (assignee lists), 1 teams, 1 categories (filter lists),
    # 1 counts of every view, capped (the list's own count too, with no filter chosen),
    # 1 page of tickets with their requester, team, assignee, category and agencies,
    # 2 the saved views beside the built-in ones (workspace/_saved_views.html).
    with django_assert_num_queries(11):
        response = agent_client.get(f"/queue/?view={view}")
    assert response.status_code == 200
    assert re.findall(r'data-ticket="', response.content.decode())


def test_it_counts_a_filtered_list_with_one_more_query(
    agent_client, mof_ticket, django_assert_num_queries
):
    mof_ticket("Toner empty")
    # The 11 above, and 1 count of the filtered list: the view's count is not the list's.
    with django_assert_num_queries(12):
        response = agent_client.get("/queue/?view=all&priority=P4")
    assert response.status_code == 200


def test_it_offers_a_platform_admin_no_transferred_view_across_every_agency(client, platform_admin):
    client.force_login(platform_admin)
    html = client.get("/queue/").content.decode()
    assert "Transferred to my agency" not in html
    assert "All open" in html
