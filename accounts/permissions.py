"""What each role may do. One table, so that "roles grant exactly their rights" is testable.

Every permission decision elsewhere asks this module: by right (`membership_has_right`), or,
where a query must find the people holding a right, through the filters below
(`staff_of_agency_q`, `memberships_with_right_q`). No other app names a role in a decision.
"""

from collections.abc import Iterable
from enum import StrEnum

from django.db.models import Q

from accounts.models import Membership, Role


class Right(StrEnum):
    REPORT_PROBLEM = "report_problem"
    # The agent workspace: the queue, its bulk actions, logging a call for someone.
    WORK_QUEUE = "work_queue"
    # Change a ticket the agency handles: assign, reply as staff, transfer, resolve.
    WORK_TICKET = "work_ticket"
    # Read the tickets the agency handles, and those it transferred away.
    SEE_AGENCY_TICKETS = "see_agency_tickets"
    # Read the internal notes of the tickets the agency handles or handled.
    SEE_INTERNAL_NOTES = "see_internal_notes"
    # Declare and run the major incidents of the services the agency runs.
    MANAGE_INCIDENTS = "manage_incidents"
    VIEW_AGENCY_DASHBOARD = "view_agency_dashboard"
    MANAGE_TEAMS = "manage_teams"
    MANAGE_MEMBERS = "manage_members"
    CONFIGURE_AGENCY = "configure_agency"
    VIEW_COUNCIL_DASHBOARD = "view_council_dashboard"
    # The government's own configuration: the agencies, the national calendar and levels,
    # the government-wide catalogue.
    MANAGE_AGENCIES = "manage_agencies"
    # The status page's government services, and the proposed incidents no agency owns.
    MANAGE_GOV_SERVICES = "manage_gov_services"
    # The agency-scoped rights held reach every agency, not only the membership's own.
    SEE_ALL_AGENCIES = "see_all_agencies"
    # Share saved queue views with the whole agency or any of its teams (a team's lead may
    # also share with their own team: `may_share_view_with_team`).
    SHARE_VIEWS = "share_views"
    # Keep the agency's own canned responses and macros.
    MANAGE_AGENCY_RESPONSES = "manage_agency_responses"
    # Keep the government-wide library of canned responses and macros.
    MANAGE_GOV_RESPONSES = "manage_gov_responses"
    # Read the access log, export what GovDesk holds about a person, erase a person, set
    # retention and legal holds: on the membership's agency, or everywhere when it names none.
    PROTECT_PERSONAL_DATA = "protect_personal_data"
    # Write and change the knowledge articles the agency owns, and send them for review.
    EDIT_ARTICLES = "edit_articles"
    # Publish and archive the agency's articles.
    PUBLISH_ARTICLES = "publish_articles"


_AGENCY_STAFF_RIGHTS = frozenset(
    {
        Right.REPORT_PROBLEM,
        Right.WORK_QUEUE,
        Right.WORK_TICKET,
        Right.SEE_AGENCY_TICKETS,
        Right.SEE_INTERNAL_NOTES,
        Right.MANAGE_INCIDENTS,
        Right.VIEW_AGENCY_DASHBOARD,
        Right.EDIT_ARTICLES,
    }
)

ROLE_RIGHTS: dict[str, frozenset[Right]] = {
    Role.REQUESTER: frozenset({Right.REPORT_PROBLEM}),
    Role.AGENT: _AGENCY_STAFF_RIGHTS,
    Role.AGENCY_ADMIN: _AGENCY_STAFF_RIGHTS
    | {
        Right.MANAGE_TEAMS,
        Right.MANAGE_MEMBERS,
        Right.CONFIGURE_AGENCY,
        Right.SHARE_VIEWS,
        Right.MANAGE_AGENCY_RESPONSES,
        Right.PUBLISH_ARTICLES,
    },
    Role.COUNCIL: frozenset({Right.REPORT_PROBLEM, Right.VIEW_COUNCIL_DASHBOARD}),
    Role.PLATFORM_ADMIN: frozenset(Right),
    Role.DATA_PROTECTION_OFFICER: frozenset({Right.REPORT_PROBLEM, Right.PROTECT_PERSONAL_DATA}),
}

# Rights exercised on one agency: a role grants them only on its own membership's agency,
# unless it also grants SEE_ALL_AGENCIES.
AGENCY_SCOPED_RIGHTS = frozenset(
    {
        Right.WORK_QUEUE,
        Right.WORK_TICKET,
        Right.SEE_AGENCY_TICKETS,
        Right.SEE_INTERNAL_NOTES,
        Right.MANAGE_INCIDENTS,
        Right.VIEW_AGENCY_DASHBOARD,
        Right.MANAGE_TEAMS,
        Right.MANAGE_MEMBERS,
        Right.CONFIGURE_AGENCY,
        Right.SHARE_VIEWS,
        Right.MANAGE_AGENCY_RESPONSES,
        Right.EDIT_ARTICLES,
        Right.PUBLISH_ARTICLES,
    }
)

# Strongest first: where a person acts without choosing (an API token with no agency named),
# they act with the first of their roles in this order.
ROLE_STRENGTH = (
    Role.PLATFORM_ADMIN,
    Role.AGENCY_ADMIN,
    Role.AGENT,
    Role.DATA_PROTECTION_OFFICER,
    Role.COUNCIL,
    Role.REQUESTER,
)


def _agency_id(agency) -> int | None:
    """An agency given as an object or by id: callers holding only a ticket's `agency_id`
    need not load the agency to ask."""
    return getattr(agency, "pk", agency)


def membership_has_right(membership: Membership | None, right: Right, agency=None) -> bool:
    """Whether acting as `membership` grants `right` (on `agency`, an Agency or its id, for
    agency-scoped rights; on the membership's own agency when none is given)."""
    if membership is None or right not in ROLE_RIGHTS[membership.role]:
        return False
    if right not in AGENCY_SCOPED_RIGHTS or sees_all_agencies(membership):
        return True
    target_id = _agency_id(agency) if agency is not None else membership.agency_id
    return membership.agency_id is not None and membership.agency_id == target_id


def sees_all_agencies(membership: Membership | None) -> bool:
    """Whether the membership's agency-scoped rights reach every agency (a platform admin)."""
    return membership is not None and Right.SEE_ALL_AGENCIES in ROLE_RIGHTS[membership.role]


def acting_agency_id(membership: Membership | None, right: Right) -> int | None:
    """The one agency on which the membership holds the agency-scoped `right`: its own.

    None when it holds the right nowhere, and for those who hold it on every agency: ask
    `sees_all_agencies` first where that matters.
    """
    if sees_all_agencies(membership) or not membership_has_right(membership, right):
        return None
    return membership.agency_id


def _roles(right: Right, *, everywhere: bool) -> list[str]:
    return [
        role
        for role, rights in ROLE_RIGHTS.items()
        if right in rights and (Right.SEE_ALL_AGENCIES in rights) == everywhere
    ]


def members_with_right_q(right: Right, agency_id: int | None, *, prefix: str = "") -> Q:
    """Memberships of the agency itself whose role grants `right` there: its own people, not
    the government-wide roles that reach every agency. `prefix` ("memberships__") filters
    users instead; in one `filter()` call both conditions hold on the same membership."""
    return Q(**{f"{prefix}agency": agency_id, f"{prefix}role__in": _roles(right, everywhere=False)})


def memberships_with_right_q(right: Right, agency_id: int | None = None, *, prefix: str = "") -> Q:
    """Memberships whose role grants `right` (on the agency, for agency-scoped rights): the
    agency's own people and those whose rights reach every agency."""
    if right not in AGENCY_SCOPED_RIGHTS:
        return Q(**{f"{prefix}role__in": [r for r, rs in ROLE_RIGHTS.items() if right in rs]})
    everywhere = Q(**{f"{prefix}role__in": _roles(right, everywhere=True)})
    return members_with_right_q(right, agency_id, prefix=prefix) | everywhere


def staff_of_agency_q(agency_id: int | None, *, prefix: str = "") -> Q:
    """The agency's own staff (its agents and admins), those who work its tickets."""
    return members_with_right_q(Right.WORK_TICKET, agency_id, prefix=prefix)


def admins_of_agency_q(agency_id: int | None, *, prefix: str = "") -> Q:
    """The agency's own admins, those who run its teams and people."""
    return members_with_right_q(Right.MANAGE_MEMBERS, agency_id, prefix=prefix)


def platform_admins_q(*, prefix: str = "") -> Q:
    """Memberships that run the whole platform: those whose rights reach every agency and
    who manage its people."""
    return Q(**{f"{prefix}role__in": _roles(Right.MANAGE_MEMBERS, everywhere=True)})


def memberships_strongest_first(memberships: Iterable[Membership]) -> list[Membership]:
    return sorted(memberships, key=lambda m: ROLE_STRENGTH.index(m.role))


def data_protection_scope(membership: Membership | None) -> tuple[bool, int | None]:
    """Where the membership protects personal data: (False, None) nowhere; (True, None) in
    every agency (a platform admin, a government-wide officer); (True, id) in one agency."""
    if not membership_has_right(membership, Right.PROTECT_PERSONAL_DATA):
        return False, None
    if sees_all_agencies(membership):
        return True, None
    return True, membership.agency_id


def may_share_view_with_team(membership: Membership | None, team) -> bool:
    """Those who share views agency-wide, and the team's own lead, if they work its queue."""
    if membership_has_right(membership, Right.SHARE_VIEWS, team.agency_id):
        return True
    return (
        membership is not None
        and team.lead_id == membership.user_id
        and membership_has_right(membership, Right.WORK_QUEUE, team.agency_id)
    )
