"""Each role grants exactly its rights, on its own agency only."""

import pytest

from accounts.models import Membership, Role, User
from accounts.permissions import (
    AGENCY_SCOPED_RIGHTS,
    ROLE_RIGHTS,
    Right,
    acting_agency_id,
    admins_of_agency_q,
    membership_has_right,
    memberships_strongest_first,
    sees_all_agencies,
    staff_of_agency_q,
)
from accounts.selectors import memberships_with_right, user_has_right, user_is_staff_of
from tests.factories import MembershipFactory

AGENCY_STAFF = {
    Right.REPORT_PROBLEM,
    Right.WORK_QUEUE,
    Right.WORK_TICKET,
    Right.SEE_AGENCY_TICKETS,
    Right.SEE_INTERNAL_NOTES,
    Right.MANAGE_INCIDENTS,
    Right.VIEW_AGENCY_DASHBOARD,
    Right.EDIT_ARTICLES,
}


def test_it_grants_each_role_exactly_its_rights():
    assert {role: set(rights) for role, rights in ROLE_RIGHTS.items()} == {
        Role.REQUESTER: {Right.REPORT_PROBLEM},
        Role.AGENT: AGENCY_STAFF,
        Role.AGENCY_ADMIN: AGENCY_STAFF
        | {Right.MANAGE_TEAMS, Right.MANAGE_MEMBERS, Right.CONFIGURE_AGENCY}
        | {Right.SHARE_VIEWS, Right.MANAGE_AGENCY_RESPONSES}
        | {Right.PUBLISH_ARTICLES},
        Role.COUNCIL: {Right.REPORT_PROBLEM, Right.VIEW_COUNCIL_DASHBOARD},
        Role.PLATFORM_ADMIN: set(Right),
        Role.DATA_PROTECTION_OFFICER: {Right.REPORT_PROBLEM, Right.PROTECT_PERSONAL_DATA},
    }


def test_it_names_a_rule_for_every_role():
    assert set(ROLE_RIGHTS) == set(Role)


@pytest.mark.parametrize(
    ("right", "holders"),
    [
        (Right.REPORT_PROBLEM, set(Role)),
        (Right.WORK_QUEUE, {Role.AGENT, Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN}),
        (Right.WORK_TICKET, {Role.AGENT, Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN}),
        (Right.SEE_AGENCY_TICKETS, {Role.AGENT, Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN}),
        (Right.SEE_INTERNAL_NOTES, {Role.AGENT, Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN}),
        (Right.MANAGE_INCIDENTS, {Role.AGENT, Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN}),
        (Right.VIEW_AGENCY_DASHBOARD, {Role.AGENT, Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN}),
        (Right.MANAGE_TEAMS, {Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN}),
        (Right.MANAGE_MEMBERS, {Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN}),
        (Right.CONFIGURE_AGENCY, {Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN}),
        (Right.VIEW_COUNCIL_DASHBOARD, {Role.COUNCIL, Role.PLATFORM_ADMIN}),
        (Right.MANAGE_AGENCIES, {Role.PLATFORM_ADMIN}),
        (Right.MANAGE_GOV_SERVICES, {Role.PLATFORM_ADMIN}),
        (Right.SEE_ALL_AGENCIES, {Role.PLATFORM_ADMIN}),
        (Right.SHARE_VIEWS, {Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN}),
        (Right.MANAGE_AGENCY_RESPONSES, {Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN}),
        (Right.MANAGE_GOV_RESPONSES, {Role.PLATFORM_ADMIN}),
        (Right.EDIT_ARTICLES, {Role.AGENT, Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN}),
        (Right.PUBLISH_ARTICLES, {Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN}),
    ],
)
def test_it_grants_each_right_to_exactly_its_roles(right, holders):
    assert {role for role, rights in ROLE_RIGHTS.items() if right in rights} == holders


@pytest.mark.parametrize("right", sorted(AGENCY_SCOPED_RIGHTS))
@pytest.mark.parametrize("role", [Role.AGENT, Role.AGENCY_ADMIN])
def test_it_grants_agency_scoped_rights_on_the_own_agency_only(mof, moh, role, right):
    membership = MembershipFactory(agency=mof, role=role)
    held = right in ROLE_RIGHTS[role]
    assert membership_has_right(membership, right, mof) is held
    assert membership_has_right(membership, right, mof.pk) is held
    assert membership_has_right(membership, right) is held
    assert not membership_has_right(membership, right, moh)
    assert acting_agency_id(membership, right) == (mof.pk if held else None)


@pytest.mark.parametrize("right", sorted(AGENCY_SCOPED_RIGHTS))
def test_it_grants_a_platform_admin_every_agency_scoped_right_everywhere(mof, moh, right):
    admin = MembershipFactory(agency=None, role=Role.PLATFORM_ADMIN)
    assert sees_all_agencies(admin)
    assert membership_has_right(admin, right, mof)
    assert membership_has_right(admin, right, moh.pk)
    # Held everywhere, not on one agency of its own.
    assert acting_agency_id(admin, right) is None


@pytest.mark.parametrize("role", [Role.REQUESTER, Role.AGENT, Role.AGENCY_ADMIN, Role.COUNCIL])
def test_it_lets_only_platform_admins_see_all_agencies(mof, role):
    agency = None if role == Role.COUNCIL else mof
    assert not sees_all_agencies(MembershipFactory(agency=agency, role=role))
    assert not sees_all_agencies(None)


def test_it_finds_an_agencys_own_staff_and_admins(mof, moh):
    requester = MembershipFactory(agency=mof, role=Role.REQUESTER)
    agent = MembershipFactory(agency=mof, role=Role.AGENT)
    head = MembershipFactory(agency=mof, role=Role.AGENCY_ADMIN)
    MembershipFactory(agency=moh, role=Role.AGENT)
    MembershipFactory(agency=None, role=Role.PLATFORM_ADMIN)

    staff = Membership.objects.filter(staff_of_agency_q(mof.pk))
    admins = User.objects.filter(admins_of_agency_q(mof.pk, prefix="memberships__"))

    assert set(staff) == {agent, head}
    assert list(admins) == [head.user]
    assert requester not in staff


def test_it_finds_those_holding_a_right_on_an_agency_including_platform_admins(mof, moh):
    agent = MembershipFactory(agency=mof, role=Role.AGENT)
    MembershipFactory(agency=moh, role=Role.AGENT)
    MembershipFactory(agency=mof, role=Role.REQUESTER)
    admin = MembershipFactory(agency=None, role=Role.PLATFORM_ADMIN)
    council = MembershipFactory(agency=None, role=Role.COUNCIL)

    assert set(memberships_with_right(Right.WORK_TICKET, mof)) == {agent, admin}
    assert set(memberships_with_right(Right.VIEW_COUNCIL_DASHBOARD)) == {council, admin}
    assert user_has_right(agent.user, Right.MANAGE_INCIDENTS, mof.pk)
    assert not user_has_right(agent.user, Right.MANAGE_INCIDENTS, moh.pk)
    assert user_has_right(admin.user, Right.MANAGE_GOV_SERVICES)
    assert user_is_staff_of(agent.user, mof.pk)
    assert not user_is_staff_of(admin.user, mof.pk)


def test_it_orders_memberships_strongest_first(mof, moh):
    requester = MembershipFactory(agency=mof, role=Role.REQUESTER)
    agent = MembershipFactory(agency=moh, role=Role.AGENT)
    council = MembershipFactory(agency=None, role=Role.COUNCIL)

    assert memberships_strongest_first([requester, council, agent]) == [
        agent,
        council,
        requester,
    ]


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
