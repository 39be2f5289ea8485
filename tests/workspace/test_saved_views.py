"""Saved views: a queue's filters kept personal or shared, listed beside the built-in views."""

import pytest
from django.core.exceptions import ValidationError

from agencies.models import Team
from tests.workspace.test_library import membership
from tickets.models import Ticket
from workspace import selectors, services
from workspace.models import SavedView, Scope


def test_it_keeps_only_the_queues_filters_and_sort(mof_agent):
    view = services.saved_view_create(
        owner=mof_agent, membership=membership(mof_agent), name="P1s",
        query="page=3&priority=P1&evil=1&sort=due&view=all",
    )  # fmt: skip
    assert view.query == "view=all&priority=P1&sort=due"


def test_it_refuses_to_share_with_the_agency_without_the_right(mof_agent):
    with pytest.raises(ValidationError, match="Only your agency's admins"):
        services.saved_view_create(
            owner=mof_agent, membership=membership(mof_agent), name="All", query="view=all",
            scope=Scope.AGENCY,
        )  # fmt: skip
    assert not SavedView.objects.exists()


def test_it_lets_a_team_lead_share_with_their_team(mof_agent, mof_service_desk):
    with pytest.raises(ValidationError, match="lead"):
        services.saved_view_create(
            owner=mof_agent, membership=membership(mof_agent), name="Desk", query="",
            scope=Scope.TEAM, team=mof_service_desk,
        )  # fmt: skip
    mof_service_desk.lead = mof_agent
    mof_service_desk.save(update_fields=["lead"])
    view = services.saved_view_create(
        owner=mof_agent, membership=membership(mof_agent), name="Desk", query="",
        scope=Scope.TEAM, team=mof_service_desk,
    )  # fmt: skip
    assert view.team == mof_service_desk


def test_it_shows_agency_views_to_the_agency_only(mof_head, mof_agent, moh_agent):
    view = services.saved_view_create(
        owner=mof_head, membership=membership(mof_head), name="Everything", query="view=all",
        scope=Scope.AGENCY,
    )  # fmt: skip
    assert list(selectors.saved_views_for(mof_agent, membership(mof_agent))) == [view]
    assert not selectors.saved_views_for(moh_agent, membership(moh_agent)).exists()


def test_it_shows_team_views_to_the_teams_members(mof_head, mof_agent, mof):
    team = Team.objects.create(agency=mof, name="Network")
    view = services.saved_view_create(
        owner=mof_head, membership=membership(mof_head), name="Net", query="",
        scope=Scope.TEAM, team=team,
    )  # fmt: skip
    assert not selectors.saved_views_for(mof_agent, membership(mof_agent)).exists()
    team.members.add(mof_agent)
    assert list(selectors.saved_views_for(mof_agent, membership(mof_agent))) == [view]


def test_it_saves_a_view_from_the_queue_and_goes_back_to_it(agent_client):
    answer = agent_client.post(
        "/workspace/views/",
        {"name": "Urgent", "scope": "personal", "query": "view=all&priority=P1"},
    )
    assert answer.status_code == 302
    assert answer["Location"] == "/queue/?view=all&priority=P1"
    assert SavedView.objects.get().name == "Urgent"


def test_it_says_why_a_view_cannot_be_shared(agent_client):
    answer = agent_client.post(
        "/workspace/views/", {"name": "Urgent", "scope": "agency", "query": "view=all"}
    )
    assert answer.status_code == 400
    assert "Only your agency&#x27;s admins" in answer.content.decode()
    assert not SavedView.objects.exists()


def test_it_lists_views_with_counts_beside_the_built_in_ones(
    agent_client, mof_agent, ticket, open_ticket, french_requester, printer_category
):
    open_ticket(french_requester, printer_category, subject="Second", impact="high", urgency="high")
    services.saved_view_create(
        owner=mof_agent, membership=membership(mof_agent), name="Urgent ones",
        query="view=all&priority=P1",
    )  # fmt: skip
    services.saved_view_create(
        owner=mof_agent, membership=membership(mof_agent), name="Everything open",
        query="view=all",
    )  # fmt: skip
    page = agent_client.get("/queue/").content.decode()
    assert 'Urgent ones <span class="count">(1)</span>' in page
    assert 'Everything open <span class="count">(2)</span>' in page


def test_it_counts_saved_views_in_a_fixed_number_of_queries(
    rf, mof_agent, ticket, django_assert_num_queries
):
    from django.template import Context, Template

    for number in range(5):
        services.saved_view_create(
            owner=mof_agent, membership=membership(mof_agent), name=f"V{number}",
            query=f"view=all&priority=P{number % 4 + 1}",
        )  # fmt: skip
    request = rf.get("/queue/")
    request.user, request.membership = mof_agent, membership(mof_agent)
    template = Template('{% include "workspace/_saved_views.html" %}')
    # 1 saved views, 1 their counts together, 1 teams to share with.
    with django_assert_num_queries(3):
        html = template.render(Context({"request": request, "agency": request.membership.agency}))
    assert html.count("data-saved-view=") == 5


def test_it_deletes_only_ones_own_view(client, mof_agent, mof_head):
    view = services.saved_view_create(
        owner=mof_head, membership=membership(mof_head), name="Shared", query="",
        scope=Scope.AGENCY,
    )  # fmt: skip
    client.force_login(mof_agent)
    client.post(f"/workspace/views/{view.pk}/delete/")
    assert SavedView.objects.filter(pk=view.pk).exists()
    client.force_login(mof_head)
    client.post(f"/workspace/views/{view.pk}/delete/")
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_it_keeps_working_when_a_saved_filter_is_no_longer_valid(mof_agent):
    criteria = services.saved_view_criteria("status=gone&team=abc&assignee=me&view=nope")
    assert criteria["view"] == "mine"
    assert "status" not in criteria and "team" not in criteria
    assert criteria["assignee"] == "me"
    assert Ticket.Status.OPEN in Ticket.Status.values
