"""Every change to the agent's tools, and applying them to tickets.

Tickets change only through tickets' public services, so each change a macro makes records
its own event; a macro is applied in one transaction, all or nothing.
"""

from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import QueryDict
from django.utils.translation import gettext as _

from accounts.models import Membership, User
from accounts.permissions import Right, may_share_view_with_team, membership_has_right
from agencies.models import Team
from service_levels.models import Priority
from tickets import filters
from tickets import services as ticket_services
from tickets.agent_forms import ME, NOBODY
from tickets.models import Category, Level, Ticket
from workspace import selectors
from workspace.models import CannedResponse, Macro, SavedView, Scope
from workspace.placeholders import placeholders_check, placeholders_fill

# The queue's GET parameters a view keeps: its filters and sort, never the page.
VIEW_PARAMETERS = ("view", "q", "agency", "status", "priority", "team", "assignee", "category",
                   "sla", "sort")  # fmt: skip
VIEWS_PER_PERSON = 50


# -- Saved views ----------------------------------------------------------------------------


def view_query_normalise(query: str | QueryDict) -> str:
    """The query string with only the queue's filters and sort, in a fixed order."""
    data = QueryDict(query) if isinstance(query, str) else query
    pairs = [(name, data.get(name, "").strip()) for name in VIEW_PARAMETERS]
    return urlencode([(name, value) for name, value in pairs if value])


def saved_view_criteria(query: str, *, agency=None) -> dict:
    """A saved query string as `tickets.filters.tickets_filtered` criteria, for its count.

    Values that are no longer valid (a status renamed, a team's id gone) are left out, as the
    queue's form leaves out a bad value and keeps the others.
    """
    data = QueryDict(query)
    criteria: dict = {"open_only": True, "agency": agency}
    view = data.get("view", "")
    criteria["view"] = (
        view if view in dict(filters.QueueView.choices) else filters.QueueView.default
    )
    for name, allowed in (
        ("status", Ticket.Status.values),
        ("priority", Priority.values),
        ("sla", [value for value, _label in filters.ServiceLevel.choices if value]),
    ):
        if data.get(name) in allowed:
            criteria[name] = data[name]
    if agency is None and data.get("agency"):
        criteria["agency"] = data["agency"][:12]
    team, category, assignee = (
        data.get("team", ""),
        data.get("category", ""),
        data.get("assignee", ""),
    )
    if team.isdigit() and 0 < int(team) < 2**63:
        criteria["team"] = int(team)
    if category.isdigit() and 0 < int(category) < 2**63:
        criteria["category"] = Category(pk=int(category))
    if assignee in (ME, NOBODY):
        criteria["assignee"] = assignee
    elif assignee.isdigit() and 0 < int(assignee) < 2**63:
        criteria["assignee"] = int(assignee)
    if data.get("q", "").strip():
        criteria["q"] = data["q"].strip()[:200]
    return criteria


@transaction.atomic
def saved_view_create(
    *,
    owner: User,
    membership: Membership | None,
    name: str,
    query: str | QueryDict,
    scope: str = Scope.PERSONAL,
    team: Team | None = None,
) -> SavedView:
    """Saves the queue's filters and sort under a name, for the owner or shared.

    Sharing with the agency needs the right to share views; with a team, that right or
    being the team's lead.
    """
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the view a name.")})
    if not selectors.works_queue(membership):
        raise ValidationError(_("Only agents keep queue views."))
    agency_id = membership.agency_id
    if scope == Scope.AGENCY:
        if agency_id is None or not membership_has_right(membership, Right.SHARE_VIEWS, agency_id):
            raise ValidationError(
                {"scope": _("Only your agency's admins may share a view with the whole agency.")}
            )
        team = None
    elif scope == Scope.TEAM:
        if team is None:
            raise ValidationError({"team": _("Choose the team to share the view with.")})
        if agency_id is None or team.agency_id != agency_id:
            raise ValidationError({"team": _("Choose a team of your agency.")})
        if not may_share_view_with_team(membership, team):
            raise ValidationError(
                {"team": _("Only the team's lead or your agency's admins may share a view "
                           "with this team.")}
            )  # fmt: skip
    elif scope == Scope.PERSONAL:
        team = None
    else:
        raise ValidationError({"scope": _("Choose who sees the view.")})
    normalised = view_query_normalise(query)
    if len(normalised) > SavedView._meta.get_field("query").max_length:
        raise ValidationError(_("These filters are too long to save: shorten the search."))
    if SavedView.objects.filter(owner=owner).count() >= VIEWS_PER_PERSON:
        raise ValidationError(
            _("You have %(count)d saved views already: delete one first.")
            % {"count": VIEWS_PER_PERSON}
        )
    return SavedView.objects.create(
        owner=owner, name=name, query=normalised, scope=scope, agency_id=agency_id, team=team
    )


@transaction.atomic
def saved_view_delete(*, view: SavedView, actor: User, membership: Membership | None) -> None:
    if not selectors.saved_view_may_delete(actor, membership, view):
        raise ValidationError(_("Only the person who saved this view, or an admin, may delete it."))
    view.delete()


# -- The library: canned responses and macros -----------------------------------------------


def _scope_fields(*, scope: str, membership: Membership | None, item=None) -> dict:
    """The agency and owner of an item kept in `scope`, if the person may keep it there."""
    if item is not None and item.pk and not selectors.library_may_edit(membership, item):
        raise ValidationError(_("You may use this item but not change it."))
    if scope not in selectors.library_scopes_for(membership):
        raise ValidationError({"scope": _("You may not keep items for that audience.")})
    if scope == Scope.GOVERNMENT:
        return {"agency_id": None, "owner_id": None}
    if scope == Scope.AGENCY:
        return {"agency_id": membership.agency_id, "owner_id": None}
    return {"agency_id": None, "owner_id": membership.user_id}


@transaction.atomic
def canned_response_save(
    *,
    membership: Membership | None,
    response: CannedResponse | None = None,
    scope: str,
    title: str,
    body_en: str = "",
    body_fr: str = "",
) -> CannedResponse:
    """Creates or changes a response; unknown placeholders are refused."""
    if not selectors.works_queue(membership):
        raise ValidationError(_("Only agents keep canned responses."))
    title, body_en, body_fr = title.strip(), body_en.strip(), body_fr.strip()
    if not title:
        raise ValidationError({"title": _("Give the response a title.")})
    if not body_en and not body_fr:
        raise ValidationError({"body_en": _("Write the text in at least one language.")})
    placeholders_check(body_en, "body_en")
    placeholders_check(body_fr, "body_fr")
    fields = _scope_fields(scope=scope, membership=membership, item=response)
    if response is not None and response.pk and response.scope != scope:
        _macros_still_see(response, scope=scope, **fields)
    response = response or CannedResponse()
    response.scope, response.title, response.body_en, response.body_fr = (
        scope, title, body_en, body_fr,
    )  # fmt: skip
    response.agency_id, response.owner_id = fields["agency_id"], fields["owner_id"]
    response.save()
    return response


def _macros_still_see(response: CannedResponse, *, scope, agency_id, owner_id) -> None:
    """A response moved to a narrower audience must still be usable by the macros using it."""
    for macro in response.macros.all():
        if not _response_fits_macro(
            response_scope=scope,
            response_agency_id=agency_id,
            response_owner_id=owner_id,
            macro=macro,
        ):
            raise ValidationError(
                {"scope": _("The macro “%(name)s” sends this response to a wider audience: "
                            "change the macro first.") % {"name": macro.name}}
            )  # fmt: skip


def _response_fits_macro(*, response_scope, response_agency_id, response_owner_id, macro) -> bool:
    """Whether everyone who sees the macro also sees its response."""
    if response_scope == Scope.GOVERNMENT:
        return True
    if response_scope == Scope.AGENCY:
        return macro.scope != Scope.GOVERNMENT and (
            (macro.scope == Scope.AGENCY and macro.agency_id == response_agency_id)
            or macro.scope == Scope.PERSONAL
        )
    return macro.scope == Scope.PERSONAL and macro.owner_id == response_owner_id


@transaction.atomic
def library_item_delete(*, item: CannedResponse | Macro, membership: Membership | None) -> None:
    if not selectors.library_may_edit(membership, item):
        raise ValidationError(_("You may use this item but not change it."))
    if isinstance(item, CannedResponse) and item.macros.exists():
        raise ValidationError(
            _("Macros send this response: change or delete them first (%(names)s).")
            % {"names": ", ".join(item.macros.values_list("name", flat=True))}
        )
    item.delete()


@transaction.atomic
def macro_save(
    *,
    membership: Membership | None,
    macro: Macro | None = None,
    scope: str,
    name: str,
    response: CannedResponse | None = None,
    status: str = "",
    impact: str = "",
    urgency: str = "",
    team: Team | None = None,
) -> Macro:
    """Creates or changes a macro: a response to send and the fields to set."""
    if not selectors.works_queue(membership):
        raise ValidationError(_("Only agents keep macros."))
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the macro a name.")})
    if status and status not in Ticket.Status.values:
        raise ValidationError({"status": _("Choose a status from the list.")})
    if status == Ticket.Status.NEW:
        raise ValidationError({"status": _("A macro cannot send a ticket back to New.")})
    if bool(impact) != bool(urgency):
        raise ValidationError(_("Set both impact and urgency, or neither."))
    if impact and (impact not in Level.values or urgency not in Level.values):
        raise ValidationError(_("Choose impact and urgency from the lists."))
    fields = _scope_fields(scope=scope, membership=membership, item=macro)
    if team is not None:
        if scope == Scope.GOVERNMENT:
            raise ValidationError({"team": _("A macro for every agency cannot move to a team.")})
        if team.agency_id != membership.agency_id:
            raise ValidationError({"team": _("Choose a team of your agency.")})
    candidate = macro or Macro()
    candidate.scope = scope
    candidate.agency_id, candidate.owner_id = fields["agency_id"], fields["owner_id"]
    if response is not None:
        if not selectors.responses_for(membership.user, membership).filter(pk=response.pk).exists():
            raise ValidationError({"response": _("Choose one of the responses you may use.")})
        if not _response_fits_macro(
            response_scope=response.scope,
            response_agency_id=response.agency_id,
            response_owner_id=response.owner_id,
            macro=candidate,
        ):
            raise ValidationError(
                {"response": _("Everyone who may use the macro must be able to use its "
                               "response: choose a response kept for at least as many people.")}
            )  # fmt: skip
    if not (response or status or impact or team):
        raise ValidationError(_("A macro must send a response or change at least one field."))
    candidate.name, candidate.response, candidate.status = name, response, status
    candidate.impact, candidate.urgency, candidate.team = impact, urgency, team
    candidate.save()
    return candidate


# -- Using them on a ticket -----------------------------------------------------------------


def canned_response_render(*, response: CannedResponse, ticket: Ticket, agent: User) -> str:
    """The response's text in the requester's language, its placeholders filled in."""
    text = response.text_for(ticket.requester.language)
    return placeholders_fill(text, ticket=ticket, agent=agent)


def canned_response_use(*, response: CannedResponse, ticket: Ticket, agent: User) -> str:
    """The text to insert in a reply, counting the use."""
    text = canned_response_render(response=response, ticket=ticket, agent=agent)
    CannedResponse.objects.filter(pk=response.pk).update(usage_count=F("usage_count") + 1)
    return text


def _status_refusal(ticket: Ticket, status: str) -> str | None:
    """Why the ticket cannot take this status, or None if it can."""
    if not status or status == ticket.status:
        return None
    if ticket.status == Ticket.Status.CLOSED:
        return _("This ticket is closed: reopen it before changing it.")
    if status == Ticket.Status.NEW:
        return _("A ticket already worked on cannot go back to New.")
    return None


@transaction.atomic
def macro_apply(
    *,
    macro: Macro,
    ticket: Ticket,
    actor: User,
    expected_version: int | None = None,
) -> Ticket:
    """Applies a macro to a ticket, all or nothing.

    1. Lock the ticket, refusing a stale form and a status it cannot take.
    2. Send the response, in the requester's language, as a public reply.
    3. Set the status, priority and team through `ticket_update`, one event per change.
    4. Count the use of the macro and of its response.
    """
    locked = ticket_services.ticket_lock(ticket, expected_version)
    refusal = _status_refusal(locked, macro.status)
    if refusal is None and locked.status == Ticket.Status.CLOSED:
        refusal = _("This ticket is closed: reopen it before changing it.")
    if refusal:
        raise ValidationError({"status": refusal})
    if macro.team_id and macro.team.agency_id != locked.agency_id:
        raise ValidationError(
            {"team": _("The macro moves the ticket to a team of another agency.")}
        )
    if macro.response_id:
        body = canned_response_use(response=macro.response, ticket=ticket, agent=actor)
        ticket_services.ticket_reply(ticket=locked, author=actor, body=body, as_agent=True)
    changes = {}
    if macro.team_id:
        changes["team"] = macro.team
    updated = ticket_services.ticket_update(
        ticket=locked,
        actor=actor,
        status=macro.status or None,
        impact=macro.impact or None,
        urgency=macro.urgency or None,
        **changes,
    )
    Macro.objects.filter(pk=macro.pk).update(usage_count=F("usage_count") + 1)
    return updated
