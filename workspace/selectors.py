"""Reads of the agent's tools that cross a permission line, always given the person.

A saved view, response or macro outside what the person may see is a 404, like one that does
not exist: `*_get_for_user` raise Http404 for both.
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import Membership, User
from accounts.permissions import Right, membership_has_right, sees_all_agencies
from agencies.models import Team
from tickets.models import Ticket
from workspace.models import CannedResponse, Macro, SavedView, Scope


def works_queue(membership: Membership | None) -> bool:
    return membership_has_right(membership, Right.WORK_QUEUE)


# -- Saved views ----------------------------------------------------------------------------


def saved_views_for(user: User, membership: Membership | None) -> QuerySet[SavedView]:
    """The person's own views, and those shared with their agency or one of their teams."""
    if not works_queue(membership):
        return SavedView.objects.none()
    door = Q(owner=user, scope=Scope.PERSONAL)
    if membership.agency_id is not None:
        door |= Q(agency=membership.agency_id) & (
            Q(scope=Scope.AGENCY) | Q(scope=Scope.TEAM, team__members=user) | Q(owner=user)
        )
    else:
        door |= Q(owner=user)
    return SavedView.objects.filter(door).select_related("team", "owner").order_by("name", "pk")


def saved_view_get_for_user(user: User, membership: Membership | None, pk: int) -> SavedView:
    view = saved_views_for(user, membership).filter(pk=pk).first()
    if view is None:
        raise Http404
    return view


def saved_view_may_delete(user: User, membership: Membership | None, view: SavedView) -> bool:
    """Its owner, or whoever may share views in its agency."""
    if view.owner_id == user.pk:
        return True
    return view.agency_id is not None and membership_has_right(
        membership, Right.SHARE_VIEWS, view.agency_id
    )


def teams_to_share_with(membership: Membership | None) -> list[Team]:
    """The active teams of the person's agency they may share a view with."""
    if membership is None or membership.agency_id is None:
        return []
    teams = Team.objects.filter(agency=membership.agency_id, is_active=True).order_by("name")
    if membership_has_right(membership, Right.SHARE_VIEWS, membership.agency_id):
        return list(teams)
    return list(teams.filter(lead=membership.user_id))


# -- Canned responses and macros ------------------------------------------------------------


def _library_door(user: User, membership: Membership | None, *, agency_id=None) -> Q | None:
    """The government's items, the agency's (the given one, else the person's own) and the
    person's own; None for someone who does not work a queue."""
    if not works_queue(membership):
        return None
    door = Q(scope=Scope.GOVERNMENT) | Q(scope=Scope.PERSONAL, owner=user)
    agency_id = agency_id or membership.agency_id
    if agency_id is not None:
        door |= Q(scope=Scope.AGENCY, agency=agency_id)
    return door


def responses_for(
    user: User,
    membership: Membership | None,
    *,
    ticket: Ticket | None = None,
    q: str = "",
    language: str = "",
) -> QuerySet[CannedResponse]:
    """The responses the person may use: on `ticket`, those of the agency handling it.

    `q` matches words of the title or texts; `language` keeps those with a text in it.
    """
    door = _library_door(user, membership, agency_id=ticket.agency_id if ticket else None)
    if door is None:
        return CannedResponse.objects.none()
    responses = CannedResponse.objects.filter(door).select_related("agency")
    if q.strip():
        words = q.strip()
        responses = responses.filter(
            Q(title__icontains=words) | Q(body_en__icontains=words) | Q(body_fr__icontains=words)
        )
    if language == "en":
        responses = responses.exclude(body_en="")
    elif language == "fr":
        responses = responses.exclude(body_fr="")
    return responses.order_by("title", "pk")


def response_get_for_user(
    user: User, membership: Membership | None, pk: int, *, ticket: Ticket | None = None
) -> CannedResponse:
    response = responses_for(user, membership, ticket=ticket).filter(pk=pk).first()
    if response is None:
        raise Http404
    return response


def macros_for(
    user: User, membership: Membership | None, *, ticket: Ticket | None = None
) -> QuerySet[Macro]:
    door = _library_door(user, membership, agency_id=ticket.agency_id if ticket else None)
    if door is None:
        return Macro.objects.none()
    return (
        Macro.objects.filter(door)
        .select_related("agency", "team", "response")
        .order_by("name", "pk")
    )


def macro_get_for_user(
    user: User, membership: Membership | None, pk: int, *, ticket: Ticket | None = None
) -> Macro:
    macro = macros_for(user, membership, ticket=ticket).filter(pk=pk).first()
    if macro is None:
        raise Http404
    return macro


def library_may_edit(membership: Membership | None, item) -> bool:
    """Personal items by their owner; an agency's by those who keep its library; the
    government's by those who keep the government's."""
    if membership is None:
        return False
    if item.scope == Scope.PERSONAL:
        return item.owner_id == membership.user_id
    if item.scope == Scope.AGENCY:
        return membership_has_right(membership, Right.MANAGE_AGENCY_RESPONSES, item.agency_id)
    return membership_has_right(membership, Right.MANAGE_GOV_RESPONSES)


def library_scopes_for(membership: Membership | None) -> list[str]:
    """The scopes the person may keep items in."""
    scopes = [Scope.PERSONAL]
    if (
        membership is not None
        and membership.agency_id is not None
        and membership_has_right(membership, Right.MANAGE_AGENCY_RESPONSES, membership.agency_id)
    ):
        scopes.append(Scope.AGENCY)
    if membership_has_right(membership, Right.MANAGE_GOV_RESPONSES):
        scopes.append(Scope.GOVERNMENT)
    return scopes


def sees_every_agency(membership: Membership | None) -> bool:
    return sees_all_agencies(membership)


def teams_of_agency(agency_id: int | None) -> list[Team]:
    """The active teams a macro of this agency may move tickets to."""
    if agency_id is None:
        return []
    return list(Team.objects.filter(agency=agency_id, is_active=True).order_by("name"))
