"""The ticket page as an agent works it: two panes, the properties panel, "Assign to me" that
asks before taking a colleague's ticket, who else has it open, and a reply draft waiting."""

import pytest
from django.core.cache import cache

from accounts.models import Role
from tests.factories import MembershipFactory, UserFactory
from tickets import presence, services
from tickets.models import TicketEvent


@pytest.fixture
def mof_colleague(mof):
    user = UserFactory(email="grace@mof.gov.test", full_name="Grace Weah")
    MembershipFactory(user=user, agency=mof, role=Role.AGENT)
    return user


@pytest.fixture
def ticket(mof_requester, printer_category, open_ticket, mof_service_desk):
    return open_ticket(mof_requester, printer_category, subject="Printer offline")


@pytest.fixture
def agent_client(client, mof_agent):
    client.force_login(mof_agent)
    return client


@pytest.fixture(autouse=True)
def _no_presence_left_over(ticket):
    yield
    cache.delete(f"ticket-presence:{ticket.pk}")


def page(client, ticket) -> str:
    response = client.get(f"/tickets/{ticket.reference}/")
    assert response.status_code == 200
    return response.content.decode()


# -- The page ---------------------------------------------------------------------------------


def test_it_puts_the_conversation_and_the_properties_side_by_side(agent_client, ticket):
    html = page(agent_client, ticket)
    conversation = html.index('class="ticket-conversation"')
    properties = html.index('class="ticket-properties"')
    assert conversation < html.index('id="reply-title"') < properties
    assert html.index('id="agent-panel-title"') > properties
    assert 'class="ticket-panes"' in html


def test_it_folds_the_less_frequent_actions_into_more_actions(agent_client, ticket):
    html = page(agent_client, ticket)
    more = html.index('<details class="more-actions">')
    for action in ("/transfer/", "/merge/", "/link/", "/watchers/"):
        assert html.index(f'action="/tickets/{ticket.reference}{action}"') > more


def test_it_opens_more_actions_when_adding_a_colleague_failed(agent_client, ticket):
    response = agent_client.post(f"/tickets/{ticket.reference}/watchers/", {"email": "nobody"})
    assert '<details class="more-actions" open>' in response.content.decode()


def test_it_shows_the_requester_and_their_other_open_tickets(
    agent_client, mof_requester, printer_category, open_ticket, ticket, mof_agent
):
    other = open_ticket(mof_requester, printer_category, subject="Scanner too")
    done = open_ticket(mof_requester, printer_category, subject="Old and done")
    services.ticket_update(ticket=done, actor=mof_agent, status="closed")
    html = page(agent_client, ticket)
    card = html[html.index('class="requester-card"') :]
    card = card[: card.index("</section>")]
    assert mof_requester.email in card
    assert other.reference in card
    assert done.reference not in card
    assert card.count("/tickets/MOF-") == 1


def test_it_leaves_room_for_the_other_apps_pieces(agent_client, ticket):
    templates = {t.name for t in agent_client.get(f"/tickets/{ticket.reference}/").templates}
    assert {
        "workspace/_ticket_tools.html",
        "workspace/_time_total.html",
        "knowledge/_ticket_articles.html",
    } <= templates


def test_it_shows_the_requester_one_column_with_the_satisfaction_piece(
    client, mof_requester, ticket
):
    client.force_login(mof_requester)
    response = client.get(f"/tickets/{ticket.reference}/")
    html = response.content.decode()
    assert "satisfaction/_on_ticket.html" in {t.name for t in response.templates}
    assert "ticket-page-agent" not in html
    assert "Work on this ticket" not in html
    assert "workspace.js" not in html


def test_it_turns_single_key_shortcuts_off_from_the_profile(agent_client, mof_agent, ticket):
    assert 'data-shortcuts="on"' in page(agent_client, ticket)
    response = agent_client.post(
        "/profile/", {"full_name": "James Tarpeh", "preferred_language": ""}
    )
    assert response.status_code == 302
    mof_agent.refresh_from_db()
    assert mof_agent.single_key_shortcuts is False
    assert 'data-shortcuts="off"' in page(agent_client, ticket)


@pytest.mark.parametrize("entries", [2, 20])
def test_it_shows_the_agent_the_page_in_a_fixed_number_of_queries(
    agent_client, mof_agent, mof_requester, ticket, entries, django_assert_num_queries
):
    for number in range(entries):
        services.ticket_reply(
            ticket=ticket, author=mof_agent, body=f"Step {number}", as_agent=True,
            internal=bool(number % 2),
        )  # fmt: skip
    # 1 session, 1 user, 1 memberships and 1 unread-notices count (header),
    # 1 ticket with its agency, team, assignee, requester, category and requester's agency,
    # 1 events with their actors, 1 files of those events, 1 followers,
    # the panel: 1 teams, 1 agents, 1 categories, 1 agencies to transfer to,
    # 1 the requester's other open tickets;
    # the other apps' pieces: 2 canned responses and macros, 1 time spent, 1 articles.
    with django_assert_num_queries(17):
        response = agent_client.get(f"/tickets/{ticket.reference}/")
    assert response.status_code == 200


# -- Assign to me ---------------------------------------------------------------------------


def test_it_assigns_an_unassigned_ticket_at_once(agent_client, mof_agent, ticket):
    response = agent_client.post(f"/tickets/{ticket.reference}/take/")
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee == mof_agent


def test_it_asks_before_taking_a_colleagues_ticket(agent_client, mof_agent, mof_colleague, ticket):
    services.ticket_assign(ticket=ticket, assignee=mof_colleague, actor=mof_colleague)
    html = page(agent_client, ticket)
    assert f'href="/tickets/{ticket.reference}/take/"' in html  # a link to the question
    response = agent_client.post(f"/tickets/{ticket.reference}/take/")  # no version: ask
    assert response.status_code == 200
    assert "Take this ticket from Grace Weah?" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.assignee == mof_colleague


def test_it_takes_a_colleagues_ticket_once_confirmed(
    agent_client, mof_agent, mof_colleague, ticket
):
    services.ticket_assign(ticket=ticket, assignee=mof_colleague, actor=mof_colleague)
    ticket.refresh_from_db()
    response = agent_client.get(f"/tickets/{ticket.reference}/take/")
    assert f'name="version" value="{ticket.version}"' in response.content.decode()
    agent_client.post(f"/tickets/{ticket.reference}/take/", {"version": ticket.version})
    ticket.refresh_from_db()
    assert ticket.assignee == mof_agent
    assert ticket.events.filter(kind=TicketEvent.Kind.ASSIGNEE, actor=mof_agent).exists()


def test_it_refuses_to_take_a_ticket_changed_since_the_question(
    agent_client, mof_agent, mof_colleague, ticket
):
    services.ticket_assign(ticket=ticket, assignee=mof_colleague, actor=mof_colleague)
    ticket.refresh_from_db()
    seen = ticket.version
    services.ticket_update(ticket=ticket, actor=mof_colleague, status="pending")
    response = agent_client.post(
        f"/tickets/{ticket.reference}/take/", {"version": seen}, follow=True
    )
    assert "Someone else changed this ticket" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.assignee == mof_colleague


def test_it_answers_404_to_another_agencys_agent_taking(client, moh_agent, ticket):
    client.force_login(moh_agent)
    assert client.get(f"/tickets/{ticket.reference}/take/").status_code == 404
    assert client.post(f"/tickets/{ticket.reference}/take/").status_code == 404


# -- Working together -----------------------------------------------------------------------


def test_it_says_when_a_colleague_has_the_ticket_open(client, agent_client, mof_colleague, ticket):
    client_of_colleague = client.__class__()
    client_of_colleague.force_login(mof_colleague)
    response = client_of_colleague.post(
        f"/tickets/{ticket.reference}/presence/", {"state": "viewing"}
    )
    assert response.status_code == 200
    assert "has this ticket open" not in response.content.decode()  # never oneself
    assert "<strong>Grace Weah</strong> has this ticket open." in page(agent_client, ticket)


def test_it_says_when_a_colleague_has_started_replying(agent_client, mof_colleague, ticket):
    presence.presence_record(ticket=ticket, user=mof_colleague, state=presence.REPLYING)
    presence.presence_record(ticket=ticket, user=mof_colleague, state=presence.VIEWING)
    response = agent_client.get(f"/tickets/{ticket.reference}/presence/")
    assert "<strong>Grace Weah</strong> has started replying." in response.content.decode()


def test_it_forgets_a_colleague_who_left(agent_client, mof_colleague, ticket):
    import datetime as dt

    from django.utils import timezone

    long_ago = timezone.now() - dt.timedelta(seconds=presence.FRESH_SECONDS + 5)
    presence.presence_record(ticket=ticket, user=mof_colleague, state="viewing", now=long_ago)
    assert "has this ticket open" not in page(agent_client, ticket)


def test_it_refuses_an_unknown_presence_state(agent_client, ticket):
    response = agent_client.post(f"/tickets/{ticket.reference}/presence/", {"state": "away"})
    assert response.status_code == 400


def test_it_answers_404_to_presence_outside_the_door(client, moh_agent, mof_requester, ticket):
    for outsider in (moh_agent, mof_requester):
        client.force_login(outsider)
        url = f"/tickets/{ticket.reference}/presence/"
        assert client.post(url, {"state": "viewing"}).status_code == 404
        assert client.get(url).status_code == 404


# -- A canned response chosen without JavaScript --------------------------------------------


def test_it_puts_a_waiting_draft_in_the_reply_box_once(agent_client, ticket):
    session = agent_client.session
    session[f"reply_draft:{ticket.reference}"] = "Hello Musu, we are on it."
    session.save()
    assert "Hello Musu, we are on it.</textarea>" in page(agent_client, ticket)
    assert "Hello Musu, we are on it." not in page(agent_client, ticket)
