"""What each role may do. One table, so that "roles grant exactly their rights" is testable."""

from enum import StrEnum

from accounts.models import Membership, Role


class Right(StrEnum):
    REPORT_PROBLEM = "report_problem"
    WORK_QUEUE = "work_queue"
    MANAGE_TEAMS = "manage_teams"
    MANAGE_MEMBERS = "manage_members"
    CONFIGURE_AGENCY = "configure_agency"
    VIEW_COUNCIL_DASHBOARD = "view_council_dashboard"
    MANAGE_AGENCIES = "manage_agencies"


ROLE_RIGHTS: dict[str, frozenset[Right]] = {
    Role.REQUESTER: frozenset({Right.REPORT_PROBLEM}),
    Role.AGENT: frozenset({Right.REPORT_PROBLEM, Right.WORK_QUEUE}),
    Role.AGENCY_ADMIN: frozenset(
        {
            Right.REPORT_PROBLEM,
            Right.WORK_QUEUE,
            Right.MANAGE_TEAMS,
            Right.MANAGE_MEMBERS,
            Right.CONFIGURE_AGENCY,
        }
    ),
    Role.COUNCIL: frozenset({Right.REPORT_PROBLEM, Right.VIEW_COUNCIL_DASHBOARD}),
    Role.PLATFORM_ADMIN: frozenset(Right),
}

# Rights exercised on one agency: a role grants them only on its own membership's agency,
# except a platform admin's, which reach every agency.
AGENCY_SCOPED_RIGHTS = frozenset(
    {Right.WORK_QUEUE, Right.MANAGE_TEAMS, Right.MANAGE_MEMBERS, Right.CONFIGURE_AGENCY}
)


def membership_has_right(membership: Membership | None, right: Right, agency=None) -> bool:
    """Whether acting as `membership` grants `right` (on `agency`, for agency-scoped rights)."""
    if membership is None or right not in ROLE_RIGHTS[membership.role]:
        return False
    if right not in AGENCY_SCOPED_RIGHTS or membership.role == Role.PLATFORM_ADMIN:
        return True
    target_id = agency.pk if agency is not None else membership.agency_id
    return membership.agency_id is not None and membership.agency_id == target_id
