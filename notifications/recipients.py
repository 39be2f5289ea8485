"""Who hears what: one place decides the recipients of every ticket event."""

from accounts.models import Membership, User
from accounts.permissions import Right, admins_of_agency_q, staff_of_agency_q
from accounts.selectors import user_has_right
from notifications.models import Kind
from service_levels.models import EscalationLevel
from tickets.models import Ticket, TicketEvent

Event = TicketEvent.Kind


def _team_or_admins(ticket: Ticket) -> list[User]:
    """The ticket's team; with no team, the handling agency's admins.

    Only members who are still staff of the handling agency: a role change keeps a person on
    their teams, and a former agent must not go on hearing of the agency's tickets.
    """
    if ticket.team_id:
        staff = Membership.objects.filter(staff_of_agency_q(ticket.agency_id))
        members = list(
            ticket.team.members.filter(is_active=True, pk__in=staff.values("user")).order_by("pk")
        )
        if members:
            return members
    return _agency_admins(ticket)


def _agency_admins(ticket: Ticket) -> list[User]:
    return list(
        User.objects.filter(
            admins_of_agency_q(ticket.agency_id, prefix="memberships__"), is_active=True
        )
    )


def _requester_and_watchers(ticket: Ticket) -> list[User]:
    return [ticket.requester, *ticket.watchers.filter(is_active=True)]


def _is_staff_of(user: User | None, ticket: Ticket) -> bool:
    """Whether the person works the ticket's agency in any of their roles."""
    return user is not None and user_has_right(user, Right.WORK_TICKET, ticket.agency_id)


def recipients_for(event: TicketEvent, *, team: bool = True) -> list[tuple[User, str]]:
    """(person, notification kind) pairs for an event; never its actor, never twice.
    `team=False` leaves out the receiving team of a new or transferred ticket, unread."""
    ticket = event.ticket
    pairs: list[tuple[User, str]] = []
    if event.kind == Event.CREATED:
        if ticket.assignee_id is None and team:
            pairs = [(u, Kind.TICKET_CREATED) for u in _team_or_admins(ticket)]
        # The acknowledgement: the requester hears of their own report, the one event whose
        # actor is told.
        acknowledged = ticket.requester
        if acknowledged is not None and acknowledged.is_active:
            pairs.insert(0, (acknowledged, Kind.RECEIVED))
    elif event.kind == Event.REPLY and event.is_public:
        if event.data.get("by_agent"):
            pairs = [(u, Kind.AGENT_REPLY) for u in _requester_and_watchers(ticket)]
        else:
            handlers = [ticket.assignee] if ticket.assignee_id else _team_or_admins(ticket)
            pairs = [(u, Kind.REQUESTER_REPLY) for u in handlers]
    elif event.kind == Event.ASSIGNEE and event.data.get("new"):
        pairs = [(u, Kind.ASSIGNED) for u in User.objects.filter(email=event.data["new"])]
    elif event.kind == Event.TRANSFER:
        # A transfer leaves the ticket unassigned: whoever has it now was assigned after it,
        # and hears of it once, from that assignment.
        receiving = _team_or_admins(ticket) if team else []
        pairs = [(u, Kind.TRANSFERRED) for u in receiving if u.pk != ticket.assignee_id]
        pairs.append((ticket.requester, Kind.TRANSFERRED))
    elif event.kind == Event.STATUS and event.data.get("new") == Ticket.Status.RESOLVED:
        pairs = [(u, Kind.RESOLVED) for u in _requester_and_watchers(ticket)]
    elif event.kind == Event.STATUS and _is_reopen(event):
        handlers = [ticket.assignee] if ticket.assignee_id else _team_or_admins(ticket)
        pairs = [(u, Kind.REOPENED) for u in handlers]
    elif event.kind == Event.ESCALATION:
        pairs = [(u, Kind.ESCALATION) for u in _escalation_recipients(ticket, event)]
    elif event.kind == Event.INCIDENT and event.data.get("action") == "attached":
        pairs = [(u, Kind.INCIDENT) for u in _requester_and_watchers(ticket)]
    elif event.kind == Event.NOTE and event.data.get("mentions"):
        mentioned = User.objects.filter(pk__in=event.data["mentions"]).order_by("pk")
        pairs = [(u, Kind.MENTIONED) for u in mentioned]
    seen: set[int] = set()
    result = []
    for user, kind in pairs:
        if user is None or user.pk in seen or not user.is_active:
            continue
        if user.pk == event.actor_id and kind != Kind.RECEIVED:
            continue
        # What is not public (an escalation) is for the agency's staff only, whoever the
        # level names: never a requester, even one who is, say, still a team's lead.
        # A mention was checked when the note was written: staff of an agency that holds or
        # held the ticket, which may not be the one handling it now.
        if not event.is_public and kind != Kind.MENTIONED and not _is_staff_of(user, ticket):
            continue
        seen.add(user.pk)
        result.append((user, kind))
    return result


def _is_reopen(event: TicketEvent) -> bool:
    """A resolved or closed ticket open again; not by the requester's reply, whose own
    notice already tells the same people."""
    closed = Ticket.CLOSED_STATUSES
    return (
        event.data.get("old") in closed
        and event.data.get("new") not in closed
        and event.data.get("reason") != "requester replied"
    )


def _escalation_recipients(ticket: Ticket, event: TicketEvent) -> list[User]:
    notify = event.data.get("notify")
    if notify == EscalationLevel.Notify.ASSIGNEE_OR_TEAM:
        return [ticket.assignee] if ticket.assignee_id else _team_or_admins(ticket)
    if notify == EscalationLevel.Notify.TEAM:
        return _team_or_admins(ticket)
    lead = [ticket.team.lead] if ticket.team_id and ticket.team.lead_id else []
    return [*lead, *_agency_admins(ticket)]


# -- Who is told at once, and who by a worker -------------------------------------------------

# Events whose notices to a receiving team are left to a worker after the commit, as the
# escalation sweep's are: a ticket created or transferred is told to a whole team, and the
# person who created or moved it should not wait for a notice, a preference and an e-mail per
# member. Everyone named on the ticket (the requester's acknowledgement) is told at once.
TEAM_SHARE_EVENTS = (Event.CREATED, Event.TRANSFER)


class Share:
    PERSONAL = "personal"
    TEAM = "team"


def recipient_share(event: TicketEvent, user: User, kind: str) -> str:
    """Whether a recipient of an event is told at once (personal) or with the team (team)."""
    if event.kind == Event.CREATED and kind == Kind.TICKET_CREATED:
        return Share.TEAM
    if event.kind == Event.TRANSFER and user.pk != event.ticket.requester_id:
        return Share.TEAM
    return Share.PERSONAL


def recipients_sharing(event: TicketEvent, share: str) -> list[tuple[User, str]]:
    """`recipients_for` the event, only those of one share: the two shares together are
    every recipient, each once."""
    # Those told at once never include the receiving team: no need to read it.
    team = share == Share.TEAM or event.kind not in TEAM_SHARE_EVENTS
    return [
        (user, kind)
        for user, kind in recipients_for(event, team=team)
        if recipient_share(event, user, kind) == share
    ]
