"""Agency admins manage their own teams and members inside the app."""

import pytest

from accounts.models import Membership, Role, User
from agencies.models import Team
from core.models import AuditEntry
from tests.factories import TeamFactory


@pytest.fixture
def signed_in_head(client, mof_head):
    client.force_login(mof_head)
    return client


def test_it_creates_a_team_with_agents_as_members(signed_in_head, mof, mof_agent):
    response = signed_in_head.post(
        "/agencies/MOF/teams/new/", {"name": "Network", "members": [mof_agent.pk]}
    )
    assert response.status_code == 302
    team = Team.objects.get(agency=mof, name="Network")
    assert list(team.members.all()) == [mof_agent]
    assert AuditEntry.objects.filter(action="team.created", agency=mof).exists()


def test_it_refuses_a_duplicate_team_name(signed_in_head, mof_team):
    response = signed_in_head.post("/agencies/MOF/teams/new/", {"name": "service DESK"})
    assert response.status_code == 200
    assert "This agency already has a team with this name." in response.content.decode()
    assert Team.objects.count() == 1


def test_it_does_not_offer_requesters_or_outsiders_as_team_members(
    signed_in_head, mof_requester, moh_agent
):
    response = signed_in_head.post(
        "/agencies/MOF/teams/new/", {"name": "Network", "members": [moh_agent.pk]}
    )
    assert response.status_code == 200
    assert "members" in response.context["form"].errors
    assert not Team.objects.exists()


def test_it_answers_404_for_a_team_of_another_agency(signed_in_head, moh):
    other = TeamFactory(agency=moh)
    assert signed_in_head.get(f"/agencies/MOF/teams/{other.pk}/").status_code == 404
    assert signed_in_head.get(f"/agencies/MOH/teams/{other.pk}/").status_code == 404


def test_it_renames_and_deactivates_a_team(signed_in_head, mof_team):
    response = signed_in_head.post(
        f"/agencies/MOF/teams/{mof_team.pk}/", {"name": "Front desk", "description": "Walk-ins"}
    )
    assert response.status_code == 302
    mof_team.refresh_from_db()
    assert (mof_team.name, mof_team.is_active) == ("Front desk", False)


def test_it_adds_a_new_person_as_an_agent(signed_in_head, mof):
    response = signed_in_head.post(
        "/agencies/MOF/members/",
        {"email": "New.Agent@MOF.gov.test", "full_name": "Ben Toe", "role": "agent"},
        follow=True,
    )
    assert "they set one with" in response.content.decode()
    user = User.objects.get(email="new.agent@mof.gov.test")
    assert not user.has_usable_password()
    assert user.memberships.get().role == Role.AGENT


def test_it_adds_a_person_from_another_agency(signed_in_head, mof, moh_agent):
    signed_in_head.post("/agencies/MOF/members/", {"email": moh_agent.email, "role": "agent"})
    assert set(moh_agent.memberships.values_list("agency__code", flat=True)) == {"MOF", "MOH"}


def test_it_refuses_a_second_role_in_the_same_agency(signed_in_head, mof_agent):
    response = signed_in_head.post(
        "/agencies/MOF/members/", {"email": mof_agent.email, "role": "agency_admin"}
    )
    assert response.status_code == 200
    assert "already has a role in this agency" in response.content.decode()
    assert mof_agent.memberships.get().role == Role.AGENT


def test_it_refuses_a_membership_in_an_inactive_agency(client, platform_admin, mof):
    mof.is_active = False
    mof.save(update_fields=["is_active"])
    client.force_login(platform_admin)
    response = client.post(
        "/agencies/MOF/members/", {"email": "someone@mof.gov.test", "role": "agent"}
    )
    assert response.status_code == 200
    assert "is inactive: reactivate it" in response.content.decode()
    assert not Membership.objects.filter(agency=mof).exists()
    assert not User.objects.filter(email="someone@mof.gov.test").exists()


def test_it_refuses_a_role_agency_admins_cannot_give(signed_in_head):
    response = signed_in_head.post(
        "/agencies/MOF/members/", {"email": "x@mof.gov.test", "role": "platform_admin"}
    )
    assert response.status_code == 200
    assert "role" in response.context["form"].errors
    assert not User.objects.filter(email="x@mof.gov.test").exists()


def test_it_changes_a_role_and_records_it(signed_in_head, mof_agent):
    membership = mof_agent.memberships.get()
    signed_in_head.post(f"/agencies/MOF/members/{membership.pk}/", {"role": "agency_admin"})
    membership.refresh_from_db()
    assert membership.role == Role.AGENCY_ADMIN
    entry = AuditEntry.objects.get(action="membership.role_changed")
    assert entry.data == {"old_role": "agent", "role": "agency_admin"}


def test_it_refuses_to_remove_the_last_agency_admin(signed_in_head, mof_head):
    membership = mof_head.memberships.get()
    response = signed_in_head.post(
        f"/agencies/MOF/members/{membership.pk}/", {"action": "remove"}, follow=True
    )
    assert "needs at least one agency admin" in response.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_it_removes_a_member_and_their_team_places(signed_in_head, mof_agent, mof_team):
    mof_team.members.add(mof_agent)
    membership = mof_agent.memberships.get()
    signed_in_head.post(f"/agencies/MOF/members/{membership.pk}/", {"action": "remove"})
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert not mof_team.members.exists()


def test_it_answers_404_for_a_membership_of_another_agency(signed_in_head, moh_agent):
    membership = moh_agent.memberships.get()
    response = signed_in_head.post(f"/agencies/MOF/members/{membership.pk}/", {"role": "agent"})
    assert response.status_code == 404
    assert moh_agent.memberships.get().role == Role.AGENT


def test_it_lists_members_in_a_fixed_number_of_queries(
    signed_in_head, mof, mof_agent, mof_requester, django_assert_num_queries
):
    # 1 session, 1 user, 1 memberships and 1 unread-notices count (header),
    # 1 agency, 1 members with users.
    with django_assert_num_queries(6):
        response = signed_in_head.get("/agencies/MOF/members/")
    assert "James Tarpeh" in response.content.decode()


def test_it_lists_teams_in_a_fixed_number_of_queries(
    signed_in_head, mof, mof_team, django_assert_num_queries
):
    TeamFactory(agency=mof, name="Network")
    # 1 session, 1 user, 1 memberships and 1 unread-notices count (header),
    # 1 agency, 1 teams with counts.
    with django_assert_num_queries(6):
        response = signed_in_head.get("/agencies/MOF/teams/")
    assert "Network" in response.content.decode()
