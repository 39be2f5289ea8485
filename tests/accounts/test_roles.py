"""Each role grants exactly its rights, on its own agency only."""

import pytest

from accounts.models import Role
from accounts.permissions import ROLE_RIGHTS, Right, membership_has_right
from tests.factories import MembershipFactory


def test_it_grants_each_role_exactly_its_rights():
    assert {role: set(rights) for role, rights in ROLE_RIGHTS.items()} == {
        Role.REQUESTER: {Right.REPORT_PROBLEM},
        Role.AGENT: {Right.REPORT_PROBLEM, Right.WORK_QUEUE},
        Role.AGENCY_ADMIN: {
            Right.REPORT_PROBLEM,
            Right.WORK_QUEUE,
            Right.MANAGE_TEAMS,
            Right.MANAGE_MEMBERS,
            Right.CONFIGURE_AGENCY,
        },
        Role.COUNCIL: {Right.REPORT_PROBLEM, Right.VIEW_COUNCIL_DASHBOARD},
        Role.PLATFORM_ADMIN: set(Right),
    }


def test_it_limits_an_agency_admin_to_their_own_agency(mof, moh):
    head = MembershipFactory(agency=mof, role=Role.AGENCY_ADMIN)
    assert membership_has_right(head, Right.MANAGE_TEAMS, mof)
    assert not membership_has_right(head, Right.MANAGE_TEAMS, moh)


def test_it_lets_a_platform_admin_manage_every_agency(mof, moh):
    admin = MembershipFactory(agency=None, role=Role.PLATFORM_ADMIN)
    assert membership_has_right(admin, Right.MANAGE_MEMBERS, moh)
    assert membership_has_right(admin, Right.MANAGE_AGENCIES)


def test_it_grants_nothing_without_a_membership():
    assert not membership_has_right(None, Right.REPORT_PROBLEM)


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("mof_requester", 403),
        ("mof_agent", 403),
        ("mof_head", 403),
        ("council_member", 403),
        ("platform_admin", 200),
    ],
)
def test_it_shows_the_agency_register_to_platform_admins_only(client, request, persona, status):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/agencies/").status_code == status


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("mof_requester", 404),
        ("mof_agent", 404),
        ("moh_head", 404),
        ("council_member", 404),
        ("mof_head", 200),
        ("platform_admin", 200),
    ],
)
def test_it_shows_an_agencys_teams_to_its_admins_only(client, request, mof, persona, status):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/agencies/MOF/teams/").status_code == status
    assert client.get("/agencies/MOF/members/").status_code == status


def test_it_answers_404_for_an_agency_that_does_not_exist(client, platform_admin):
    client.force_login(platform_admin)
    assert client.get("/agencies/NOPE/teams/").status_code == 404
