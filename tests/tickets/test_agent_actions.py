"""What agents do to tickets: bulk actions in the queue, logging calls, and the agent panel's
update, take, transfer, merge and link. Everything outside the door answers 404."""

import pytest
from django.contrib.messages import get_messages
from django.template import RequestContext, Template
from django.test import RequestFactory

from accounts.models import Role
from accounts.selectors import membership_current_for
from tests.factories import MembershipFactory, UserFactory
from tickets import selectors, services
from tickets.models import Ticket, TicketEvent, TicketLink


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
    def mof_ticket(subject="Printer offline", requester=None, **fields):
        return open_ticket(requester or mof_requester, printer_category, subject=subject, **fields)

    return mof_ticket


@pytest.fixture
def moh_ticket(open_ticket, moh_requester, printer_category):
    return open_ticket(moh_requester, printer_category, subject="Health ministry printer")


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def refreshed(ticket: Ticket) -> Ticket:
    ticket.refresh_from_db()
    return ticket


def update_data(ticket: Ticket, **changes) -> dict:
    """What the agent panel posts when nothing is touched, with `changes` on top."""
    data = {
        "status": ticket.status,
        "impact": ticket.impact,
        "urgency": ticket.urgency,
        "team": ticket.team_id or "",
        "assignee": ticket.assignee_id or "",
        "category": ticket.category_id,
        "version": ticket.version,
    }
    return {**data, **changes}


# -- Bulk actions ----------------------------------------------------------------------------


def test_it_assigns_several_tickets_to_an_agent(agent_client, mof_other_agent, mof_ticket):
    first, second = mof_ticket("One"), mof_ticket("Two")
    response = agent_client.post(
        "/queue/bulk/",
        {"tickets": [first.pk, second.pk], "action": "assign", "assignee": mof_other_agent.pk},
    )
    assert response.status_code == 302
    assert {refreshed(first).assignee, refreshed(second).assignee} == {mof_other_agent}
    assert "2 tickets are updated." in texts(response)


def test_it_assigns_tickets_to_me_and_to_nobody(agent_client, mof_agent, mof_ticket):
    ticket = mof_ticket()
    agent_client.post(
        "/queue/bulk/", {"tickets": [ticket.pk], "action": "assign", "assignee": "me"}
    )
    assert refreshed(ticket).assignee == mof_agent
    agent_client.post(
        "/queue/bulk/", {"tickets": [ticket.pk], "action": "assign", "assignee": "nobody"}
    )
    assert refreshed(ticket).assignee is None


def test_it_changes_the_status_of_several_tickets(agent_client, mof_ticket):
    first, second = mof_ticket("One"), mof_ticket("Two")
    agent_client.post(
        "/queue/bulk/",
        {"tickets": [first.pk, second.pk], "action": "status", "status": "on_hold"},
    )
    assert {refreshed(first).status, refreshed(second).status} == {"on_hold"}


def test_it_closes_several_tickets(agent_client, mof_ticket):
    first, second = mof_ticket("One"), mof_ticket("Two")
    agent_client.post("/queue/bulk/", {"tickets": [first.pk, second.pk], "action": "close"})
    assert refreshed(first).status == refreshed(second).status == "closed"
    assert refreshed(first).closed_at is not None


def test_it_goes_back_to_the_queue_with_its_filters(agent_client, mof_ticket):
    ticket = mof_ticket()
    response = agent_client.post(
        "/queue/bulk/",
        {"tickets": [ticket.pk], "action": "close", "next": "/queue/?view=all&priority=P4"},
    )
    assert response["Location"] == "/queue/?view=all&priority=P4"


def test_it_never_goes_back_to_another_site(agent_client, mof_ticket):
    ticket = mof_ticket()
    response = agent_client.post(
        "/queue/bulk/",
        {"tickets": [ticket.pk], "action": "close", "next": "https://evil.example/queue/"},
    )
    assert response["Location"] == "/queue/"


def test_it_refuses_the_whole_bulk_action_when_one_ticket_is_outside(
    agent_client, mof_ticket, moh_ticket
):
    ours = mof_ticket()
    response = agent_client.post(
        "/queue/bulk/", {"tickets": [ours.pk, moh_ticket.pk], "action": "close"}
    )
    assert response.status_code == 302
    message = texts(response)[0]
    assert message.startswith("Some tickets could not be found. Nothing was changed")
    assert moh_ticket.reference not in message
    assert refreshed(ours).status == refreshed(moh_ticket).status == "new"


def test_it_refuses_a_bulk_action_on_a_ticket_transferred_away(
    agent_client, mof_agent, mof_ticket, nicta
):
    ticket = mof_ticket()
    services.ticket_transfer(ticket=ticket, to_agency=nicta, reason="E-mail", actor=mof_agent)
    response = agent_client.post("/queue/bulk/", {"tickets": [ticket.pk], "action": "close"})
    assert texts(response)[0].startswith("Some tickets could not be found.")
    assert refreshed(ticket).status == "new"


def test_it_refuses_to_bulk_assign_to_another_agencys_agent(agent_client, moh_agent, mof_ticket):
    ticket = mof_ticket()
    response = agent_client.post(
        "/queue/bulk/", {"tickets": [ticket.pk], "action": "assign", "assignee": moh_agent.pk}
    )
    assert "Choose an agent of the agency that handles the tickets." in texts(response)[0]
    assert refreshed(ticket).assignee is None


def test_it_changes_nothing_when_the_service_refuses_one_ticket(
    agent_client, mof_agent, mof_ticket
):
    already_closed, still_open = mof_ticket("Closed"), mof_ticket("Open")
    services.ticket_update(ticket=already_closed, actor=mof_agent, status="closed")
    response = agent_client.post(
        "/queue/bulk/",
        {"tickets": [still_open.pk, already_closed.pk], "action": "assign", "assignee": "me"},
    )
    assert texts(response)[0].startswith(
        f"Nothing was changed: {already_closed.reference}: This ticket is closed"
    )
    assert refreshed(still_open).assignee is None


def test_it_asks_for_a_selection(agent_client, mof_ticket):
    response = agent_client.post("/queue/bulk/", {"action": "close"})
    assert texts(response) == ["Select at least one ticket."]


def test_it_asks_for_the_new_status(agent_client, mof_ticket):
    ticket = mof_ticket()
    response = agent_client.post("/queue/bulk/", {"tickets": [ticket.pk], "action": "status"})
    assert texts(response) == ["New status: Choose the new status."]


def test_it_refuses_bulk_actions_to_requesters(client, mof_requester, mof_ticket):
    ticket = mof_ticket()
    client.force_login(mof_requester)
    response = client.post("/queue/bulk/", {"tickets": [ticket.pk], "action": "close"})
    assert response.status_code == 403
    assert refreshed(ticket).status == "new"


# -- Logging a call --------------------------------------------------------------------------


def log_call_data(**changes) -> dict:
    data = {
        "requester_email": "Requester@MOF.gov.test",
        "subject": "Cannot print payslips",
        "description": "Called from the second floor.",
        "impact": "medium",
        "urgency": "high",
    }
    return {**data, **changes}


def test_it_logs_a_call_for_a_caller(
    agent_client, mof, mof_agent, mof_requester, printer_category, mof_service_desk
):
    response = agent_client.post("/queue/log-call/", log_call_data(category=printer_category.pk))
    ticket = Ticket.objects.get()
    assert response["Location"] == f"/tickets/{ticket.reference}/"
    assert (ticket.requester, ticket.requester_agency, ticket.agency) == (mof_requester, mof, mof)
    assert ticket.channel == "phone"
    assert ticket.priority == "P2"
    created = ticket.events.get(kind=TicketEvent.Kind.CREATED)
    assert created.actor == mof_agent
    assert created.data["on_behalf_of"] == mof_requester.email


def test_it_refuses_a_call_from_an_unknown_address(agent_client, printer_category):
    response = agent_client.post(
        "/queue/log-call/",
        log_call_data(requester_email="nobody@mof.gov.test", category=printer_category.pk),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "No one with the address nobody@mof.gov.test uses GovDesk." in html
    assert 'href="#id_requester_email"' in html
    assert not Ticket.objects.exists()


def test_it_refuses_a_call_from_an_inactive_user(agent_client, mof_requester, printer_category):
    mof_requester.is_active = False
    mof_requester.save(update_fields=["is_active"])
    response = agent_client.post("/queue/log-call/", log_call_data(category=printer_category.pk))
    assert "requester_email" in response.context["form"].errors
    assert not Ticket.objects.exists()


def test_it_shows_the_services_refusal_on_the_call_form(
    agent_client, moh_requester, payroll_category
):
    # MOF's payroll is for MOF's staff; the caller works for MOH.
    response = agent_client.post(
        "/queue/log-call/",
        log_call_data(requester_email=moh_requester.email, category=payroll_category.pk),
    )
    assert response.context["form"].errors["category"] == [
        "This service belongs to another agency."
    ]
    assert not Ticket.objects.exists()


def test_it_shows_the_call_form_with_fieldsets(agent_client, printer_category):
    html = agent_client.get("/queue/log-call/").content.decode()
    assert "<legend>Caller</legend>" in html
    assert '<label for="id_requester_email">' in html
    assert "Computer and printer" in html


def test_it_refuses_the_call_form_to_requesters(client, mof_requester):
    client.force_login(mof_requester)
    assert client.get("/queue/log-call/").status_code == 403


# -- The agent panel's update ----------------------------------------------------------------


def test_it_updates_a_ticket_from_the_panel(agent_client, mof_agent, mof_other_agent, mof_ticket):
    ticket = mof_ticket()
    response = agent_client.post(
        f"/tickets/{ticket.reference}/update/",
        update_data(ticket, status="on_hold", impact="high", urgency="high",
                    assignee=mof_other_agent.pk),
    )  # fmt: skip
    assert response["Location"] == f"/tickets/{ticket.reference}/"
    ticket = refreshed(ticket)
    assert (ticket.status, ticket.priority, ticket.assignee) == ("on_hold", "P1", mof_other_agent)
    kinds = set(ticket.events.filter(actor=mof_agent).values_list("kind", flat=True))
    assert {"status", "priority", "assignee"} <= kinds


def test_it_refuses_a_stale_update_and_saves_nothing(agent_client, mof_agent, mof_ticket):
    ticket = mof_ticket()
    form_version = ticket.version
    services.ticket_update(ticket=ticket, actor=mof_agent, status="open")  # someone else
    events_before = ticket.events.count()
    response = agent_client.post(
        f"/tickets/{ticket.reference}/update/",
        update_data(ticket, status="on_hold", urgency="high", version=form_version),
    )
    assert response.status_code == 302
    assert texts(response)[0].startswith("Someone else changed this ticket")
    ticket = refreshed(ticket)
    assert (ticket.status, ticket.urgency) == ("open", "medium")
    assert ticket.events.count() == events_before


def test_it_assigns_only_to_agents_of_the_handling_agency(agent_client, moh_agent, mof_ticket):
    ticket = mof_ticket()
    response = agent_client.post(
        f"/tickets/{ticket.reference}/update/", update_data(ticket, assignee=moh_agent.pk)
    )
    assert texts(response) == ["Assignee: Choose an agent of the agency handling the ticket."]
    assert refreshed(ticket).assignee is None


def test_it_refuses_a_team_of_another_agency(agent_client, moh, mof_ticket, mof_service_desk):
    from agencies.models import Team

    other = Team.objects.create(agency=moh, name="Health desk")
    ticket = mof_ticket()
    agent_client.post(f"/tickets/{ticket.reference}/update/", update_data(ticket, team=other.pk))
    assert refreshed(ticket).team == mof_service_desk


def test_it_unassigns_and_clears_the_team(agent_client, mof_agent, mof_ticket):
    ticket = mof_ticket()
    services.ticket_assign(ticket=ticket, assignee=mof_agent, actor=mof_agent)
    ticket = refreshed(ticket)
    agent_client.post(
        f"/tickets/{ticket.reference}/update/", update_data(ticket, assignee="", team="")
    )
    ticket = refreshed(ticket)
    assert (ticket.assignee, ticket.team) == (None, None)


# -- Take, transfer, merge, link -------------------------------------------------------------


def test_it_assigns_a_ticket_to_me(agent_client, mof_agent, mof_ticket):
    ticket = mof_ticket()
    response = agent_client.post(f"/tickets/{ticket.reference}/take/")
    assert response["Location"] == f"/tickets/{ticket.reference}/"
    ticket = refreshed(ticket)
    assert (ticket.assignee, ticket.status) == (mof_agent, "open")
    assert f"{ticket.reference} is assigned to you." in texts(response)


def test_it_transfers_a_ticket_to_the_receiving_team(
    agent_client, mof_agent, mof_ticket, nicta, nicta_email_team
):
    nicta.intake_team = nicta_email_team
    nicta.save(update_fields=["intake_team"])
    ticket = mof_ticket()
    reference = ticket.reference
    response = agent_client.post(
        f"/tickets/{reference}/transfer/",
        {"to_agency": nicta.pk, "reason": "The mail server rejects the scans."},
    )
    assert response["Location"] == f"/tickets/{reference}/"
    ticket = refreshed(ticket)
    assert (ticket.reference, ticket.agency, ticket.team) == (reference, nicta, nicta_email_team)
    assert ticket.transfers.get().reason == "The mail server rejects the scans."


def test_it_lets_the_sending_agency_read_but_not_change_a_transferred_ticket(
    agent_client, mof_agent, mof_ticket, nicta
):
    ticket = mof_ticket()
    agent_client.post(f"/tickets/{ticket.reference}/transfer/", {"to_agency": nicta.pk,
                                                                 "reason": "Theirs"})  # fmt: skip
    membership = mof_agent.memberships.get()
    assert selectors.ticket_get_for_user(mof_agent, membership, ticket.reference) == ticket
    ticket = refreshed(ticket)
    response = agent_client.post(
        f"/tickets/{ticket.reference}/update/", update_data(ticket, status="on_hold")
    )
    assert response.status_code == 404
    assert agent_client.post(f"/tickets/{ticket.reference}/take/").status_code == 404
    assert refreshed(ticket).status == "new"


def test_it_requires_a_reason_to_transfer(agent_client, mof_ticket, nicta):
    ticket = mof_ticket()
    response = agent_client.post(f"/tickets/{ticket.reference}/transfer/", {"to_agency": nicta.pk})
    assert texts(response) == ["Reason: Say why the ticket moves, for the receiving agency."]
    assert refreshed(ticket).agency.code == "MOF"


def test_it_does_not_transfer_to_an_inactive_agency(agent_client, mof_ticket, nicta):
    nicta.is_active = False
    nicta.save(update_fields=["is_active"])
    ticket = mof_ticket()
    agent_client.post(
        f"/tickets/{ticket.reference}/transfer/", {"to_agency": nicta.pk, "reason": "Theirs"}
    )
    assert refreshed(ticket).agency.code == "MOF"


def test_it_merges_a_duplicate_into_the_ticket_to_keep(
    agent_client, mof_agent, mof_head, mof_requester, mof_ticket
):
    keep = mof_ticket("Printer offline")
    duplicate = mof_ticket("Printer still offline", requester=mof_head)
    response = agent_client.post(
        f"/tickets/{duplicate.reference}/merge/", {"target": keep.reference.lower()}
    )
    assert response["Location"] == f"/tickets/{keep.reference}/"
    duplicate = refreshed(duplicate)
    assert (duplicate.status, duplicate.merged_into) == ("closed", keep)
    assert list(keep.watchers.all()) == [mof_head]
    assert duplicate.events.filter(kind="merge", data__into=keep.reference).exists()


@pytest.mark.parametrize("target", ["moh", "missing"])
def test_it_refuses_to_merge_into_a_ticket_it_cannot_see(
    agent_client, mof_ticket, moh_ticket, target
):
    duplicate = mof_ticket()
    reference = moh_ticket.reference if target == "moh" else "MOF-999999"
    response = agent_client.post(f"/tickets/{duplicate.reference}/merge/", {"target": reference})
    assert response["Location"] == f"/tickets/{duplicate.reference}/"
    assert texts(response) == ["Reference of the ticket to keep: No ticket with that reference"]
    assert refreshed(duplicate).status == "new"
    assert refreshed(moh_ticket).watchers.count() == 0


def test_it_links_two_tickets(agent_client, mof_agent, mof_ticket):
    first, second = mof_ticket("One"), mof_ticket("Two")
    response = agent_client.post(f"/tickets/{first.reference}/link/", {"other": second.reference})
    assert response["Location"] == f"/tickets/{first.reference}/"
    assert TicketLink.objects.filter(from_ticket=first, to_ticket=second).exists()
    assert first.events.filter(kind="link", actor=mof_agent, data__other=second.reference).exists()
    assert second.events.filter(kind="link", data__other=first.reference).exists()


def test_it_refuses_to_link_a_ticket_it_cannot_see(agent_client, mof_ticket, moh_ticket):
    ticket = mof_ticket()
    response = agent_client.post(
        f"/tickets/{ticket.reference}/link/", {"other": moh_ticket.reference}
    )
    assert texts(response) == ["Reference of the related ticket: No ticket with that reference"]
    assert not TicketLink.objects.exists()


def test_it_says_when_tickets_are_already_linked(agent_client, mof_agent, mof_ticket):
    first, second = mof_ticket("One"), mof_ticket("Two")
    services.ticket_link(ticket=first, other=second, actor=mof_agent)
    response = agent_client.post(f"/tickets/{second.reference}/link/", {"other": first.reference})
    assert texts(response) == ["Reference of the related ticket: These tickets are already linked."]


# -- Outsiders -------------------------------------------------------------------------------


AGENT_ROUTES = ["update", "take", "transfer", "merge", "link"]


@pytest.mark.parametrize("route", AGENT_ROUTES)
def test_it_answers_404_to_another_agencys_agent(client, moh_agent, mof_ticket, nicta, route):
    ticket = mof_ticket()
    other = mof_ticket("Other")
    client.force_login(moh_agent)
    data = {
        **update_data(ticket, status="closed"),
        "to_agency": nicta.pk,
        "reason": "Theirs",
        "target": other.reference,
        "other": other.reference,
    }
    assert client.post(f"/tickets/{ticket.reference}/{route}/", data).status_code == 404
    ticket = refreshed(ticket)
    assert (ticket.status, ticket.agency.code, ticket.assignee) == ("new", "MOF", None)
    assert not TicketLink.objects.exists()


@pytest.mark.parametrize("route", AGENT_ROUTES)
def test_it_answers_404_to_the_requester_on_agent_routes(client, mof_requester, mof_ticket, route):
    ticket = mof_ticket()
    client.force_login(mof_requester)
    assert client.post(f"/tickets/{ticket.reference}/{route}/", {}).status_code == 404


# "Take" answers a GET with its question (tests/tickets/test_agent_ticket_page.py).
@pytest.mark.parametrize("route", [route for route in AGENT_ROUTES if route != "take"])
def test_it_answers_only_posts_on_agent_routes(agent_client, mof_ticket, route):
    ticket = mof_ticket()
    assert agent_client.get(f"/tickets/{ticket.reference}/{route}/").status_code == 405


def test_it_refuses_a_bulk_action_on_our_tickets_to_another_agencys_agent(
    client, moh_agent, mof_ticket
):
    ticket = mof_ticket()
    client.force_login(moh_agent)
    response = client.post("/queue/bulk/", {"tickets": [ticket.pk], "action": "close"})
    assert texts(response)[0].startswith("Some tickets could not be found.")
    assert refreshed(ticket).status == "new"


# -- The panel on the ticket page ------------------------------------------------------------


def render_panel(user, ticket: Ticket) -> str:
    request = RequestFactory().get(f"/tickets/{ticket.reference}/")
    request.user = user
    request.membership, request.memberships = membership_current_for(user, None)
    template = Template("{% load agent_panel %}{% agent_panel ticket %}")
    return template.render(RequestContext(request, {"ticket": ticket}))


def test_it_shows_the_panel_to_the_agents_of_the_handling_agency(
    mof_agent, mof_other_agent, moh_agent, mof_ticket, nicta
):
    ticket = mof_ticket()
    html = render_panel(mof_agent, ticket)
    assert f'<input type="hidden" name="version" value="{ticket.version}"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert f'action="/tickets/{ticket.reference}/take/"' in html
    assert "Grace Weah" in html  # another agent of MOF, offered as assignee
    assert moh_agent.get_full_name() not in html
    assert "National ICT Agency (NICTA)" in html  # a transfer target
    assert "Ministry of Finance (MOF)" not in html  # not the agency it is with
    assert '<label for="agent-transfer-reason">' in html


def test_it_offers_no_take_button_for_my_own_ticket(mof_agent, mof_ticket):
    ticket = mof_ticket()
    ticket = services.ticket_assign(ticket=ticket, assignee=mof_agent, actor=mof_agent)
    assert "/take/" not in render_panel(mof_agent, refreshed(ticket))


def test_it_shows_no_panel_to_those_who_do_not_work_the_ticket(
    mof_requester, moh_agent, mof_agent, mof_ticket, nicta
):
    ticket = mof_ticket()
    assert render_panel(mof_requester, ticket).strip() == ""
    services.ticket_transfer(ticket=ticket, to_agency=nicta, reason="Theirs", actor=mof_agent)
    assert render_panel(mof_agent, refreshed(ticket)).strip() == ""


def test_it_renders_the_panel_from_a_plain_include_too(mof_agent, mof_ticket):
    ticket = mof_ticket()
    request = RequestFactory().get("/")
    request.user = mof_agent
    request.membership, request.memberships = membership_current_for(mof_agent, None)
    template = Template('{% include "tickets/_agent_panel.html" %}')
    html = template.render(RequestContext(request, {"ticket": ticket, "works_ticket": True}))
    assert f'action="/tickets/{ticket.reference}/update/"' in html


def test_it_renders_the_panel_in_a_fixed_number_of_queries(
    mof_agent, mof_ticket, django_assert_num_queries
):
    ticket = mof_ticket()
    request = RequestFactory().get("/")
    request.user = mof_agent
    request.membership, request.memberships = membership_current_for(mof_agent, None)
    template = Template("{% load agent_panel %}{% agent_panel ticket %}")
    # 1 teams of the handling agency, 1 its agents, 1 categories, 1 agencies to transfer to,
    # 1 the requester's other open tickets; 1 time spent (workspace), 1 articles (knowledge).
    with django_assert_num_queries(7):
        template.render(RequestContext(request, {"ticket": ticket}))


def test_it_refuses_a_take_to_a_platform_admin_who_is_no_agent(client, platform_admin, mof_ticket):
    ticket = mof_ticket()
    client.force_login(platform_admin)
    response = client.post(f"/tickets/{ticket.reference}/take/")
    assert response.status_code == 302
    assert "is not an agent of MOF" in texts(response)[0]
    assert refreshed(ticket).assignee is None


def test_it_lets_a_platform_admin_work_any_ticket(client, platform_admin, mof_agent, mof_ticket):
    ticket = mof_ticket()
    client.force_login(platform_admin)
    client.post(f"/tickets/{ticket.reference}/update/", update_data(ticket, assignee=mof_agent.pk))
    assert refreshed(ticket).assignee == mof_agent


def test_it_answers_404_for_an_unknown_reference(agent_client, mof_ticket):
    mof_ticket()
    assert agent_client.post("/tickets/MOF-999999/take/").status_code == 404
