"""Every change to a ticket. One function per use case, each in one transaction, each
writing the TicketEvent that records it. Views and the API call these and nothing else.

Other apps hear of a change through the events it publishes (tickets/events.py), never by
being called from here. What another app needs to change a ticket itself (a major incident
attaching its children) is public here: `ticket_lock`, `event_record`, `ticket_save` and
`ticket_set_status`. Every service takes `quiet` (tickets.events.Quiet), which silences the
subscribers' side effects of that one change.
"""

import secrets
from collections.abc import Callable

from django.contrib.postgres.search import SearchVector
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, F, Q, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from accounts.permissions import staff_of_agency_q
from accounts.selectors import user_is_staff_of
from agencies.models import Agency, Team
from core.errors import StaleObject
from core.pending_work import Run
from tickets import sla, time_spent
from tickets.events import Quiet, event_record
from tickets.mentions import mentions_resolve
from tickets.models import (
    Category,
    Level,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketTransfer,
    priority_for,
)

Status = Ticket.Status
SEARCH_CONFIG = "simple"


class StaleTicket(StaleObject):
    """Someone else changed the ticket since the form was shown."""


def _now():
    return timezone.now()


def ticket_lock(ticket: Ticket, expected_version: int | None = None) -> Ticket:
    """The ticket re-read and locked FOR UPDATE until the transaction ends; StaleTicket when
    `expected_version` is given and someone has saved it since."""
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleTicket(
            _(
                "Someone else changed this ticket while you were working on it. "
                "Nothing was saved: check the latest history and try again."
            )
        )
    return locked


def ticket_save(ticket: Ticket, *fields: str) -> None:
    """Saves these fields of a locked ticket with its clock's fields, a new version and
    `updated_at`, so that a form shown before this save is refused as stale."""
    ticket.updated_at = _now()
    ticket.version = F("version") + 1
    # The clock's fields go with every save: any change of status or priority may move them.
    ticket.save(update_fields={"updated_at", "version", *fields, *sla.CLOCK_FIELDS})
    ticket.refresh_from_db(fields=["version"])


def _event(ticket: Ticket, kind: str, actor: User | None, *, quiet: Quiet, **kwargs):
    return event_record(ticket, kind, actor, quiet=quiet, at=_now(), **kwargs)


def _refresh_search(ticket: Ticket) -> None:
    """Rebuilds the ticket's two search documents from its current text."""
    public_text = " ".join(
        TicketEvent.objects.filter(
            ticket=ticket, kind=TicketEvent.Kind.REPLY, is_public=True
        ).values_list("body", flat=True)
    )
    notes_text = " ".join(
        TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.NOTE).values_list(
            "body", flat=True
        )
    )
    Ticket.objects.filter(pk=ticket.pk).update(
        **_search_documents("reference", public_text=public_text, notes_text=notes_text)
    )


def ticket_search_rebuild(*, ticket: Ticket) -> None:
    """Rebuilds the search documents after text was changed outside the ticket services
    (data protection's retention and erasure)."""
    _refresh_search(ticket)


def _search_documents(reference: str | Value, *, public_text: str, notes_text: str) -> dict:
    """The values of the two search documents. `reference` names the column, or is the
    reference itself when the same UPDATE sets it: an UPDATE's expressions read the row as it
    was before the statement."""
    return {
        "search_public": SearchVector(reference, weight="A", config=SEARCH_CONFIG)
        + SearchVector("subject", weight="A", config=SEARCH_CONFIG)
        + SearchVector("description", weight="B", config=SEARCH_CONFIG)
        + SearchVector(Value(public_text), weight="C", config=SEARCH_CONFIG),
        "search_notes": SearchVector(Value(notes_text), weight="C", config=SEARCH_CONFIG),
    }


# -- Routing and numbering -------------------------------------------------------------------


def route_for(category: Category, requester_agency: Agency | None) -> tuple[Agency, Team | None]:
    """The agency and team that handle a new ticket in this category."""
    agency = category.handling_agency or requester_agency
    if agency is None:
        raise ValidationError(
            {"category": _("This service is handled by your own agency, and you have none. "
                           "Choose a government-wide service.")}
        )  # fmt: skip
    if not agency.is_active:
        raise ValidationError(
            {"category": _("The agency that handles this service is not taking tickets.")}
        )
    return agency, team_for(category, agency)


def team_for(category: Category | None, agency: Agency) -> Team | None:
    if (
        category
        and category.team_id
        and category.team.agency_id == agency.pk
        and category.team.is_active
    ):
        return category.team
    if agency.intake_team_id and agency.intake_team.is_active:
        return agency.intake_team
    return None


# Numbers are taken at the very end of the creating transaction, not from a PostgreSQL
# sequence: a sequence never rolls back, so a failed creation would leave a gap, and
# references must run without gaps per agency (people and auditors read a missing number as
# a lost ticket). Incrementing the counter row locks it until the commit, so the increment is
# the last statement but one, and creators of one agency wait for each other for that
# moment only, never for each other's whole creation.
_COUNTER_INCREMENT = """
    INSERT INTO tickets_ticketcounter (agency_id, last_number) VALUES (%s, 1)
    ON CONFLICT (agency_id) DO UPDATE SET last_number = tickets_ticketcounter.last_number + 1
    RETURNING last_number
"""


def _provisional_reference() -> str:
    """Unique and never shown: it lives only inside the creating transaction, until
    `_number` replaces it."""
    return f"new-{secrets.token_hex(8)}"


def _next_reference(agency: Agency) -> str:
    """The agency's next reference; its counter row stays locked until the commit."""
    with connection.cursor() as cursor:
        cursor.execute(_COUNTER_INCREMENT, [agency.pk])
        (number,) = cursor.fetchone()
    return f"{agency.code}-{number:06d}"


def _number(ticket: Ticket, **fields) -> None:
    """Gives a new ticket its reference, with its search document and `fields`, in the
    creation's last statement."""
    ticket.reference = _next_reference(ticket.agency)
    Ticket.objects.filter(pk=ticket.pk).update(
        reference=ticket.reference,
        # At creation the ticket has no reply and no note yet.
        **_search_documents(Value(ticket.reference), public_text="", notes_text=""),
        **fields,
    )


def _auto_assign(ticket: Ticket) -> User | None:
    team = ticket.team
    if team is None or team.assignment == Team.Assignment.NONE:
        return None
    team = Team.objects.select_for_update().get(pk=team.pk)
    agents = list(
        team.members.filter(
            staff_of_agency_q(ticket.agency_id, prefix="memberships__"), is_active=True
        ).order_by("pk")
    )
    if not agents:
        return None
    if team.assignment == Team.Assignment.ROUND_ROBIN:
        after = [a for a in agents if team.last_assigned_to_id and a.pk > team.last_assigned_to_id]
        chosen = (after or agents)[0]
    else:
        loads = dict(
            Ticket.objects.open()
            .filter(assignee__in=agents, agency=ticket.agency_id)
            .values_list("assignee")
            .annotate(n=Count("pk"))
        )
        chosen = min(agents, key=lambda a: (loads.get(a.pk, 0), a.pk))
    team.last_assigned_to = chosen
    team.save(update_fields=["last_assigned_to"])
    return chosen


# -- Creating --------------------------------------------------------------------------------


@transaction.atomic
def ticket_create(
    *,
    requester: User,
    requester_agency: Agency | None,
    category: Category,
    subject: str,
    description: str,
    impact: str,
    urgency: str,
    channel: str = Ticket.Channel.WEB,
    logged_by: User | None = None,
    kind: str = Ticket.Kind.INCIDENT,
    quiet: Quiet = Quiet.NONE,
    before_numbering: Callable[[Ticket, TicketEvent], object] | None = None,
) -> Ticket:
    """Opens a ticket.

    1. Check the category may be used by this requester.
    2. Route it: the category's handling agency (else the requester's own) and its team.
    3. Record the creation and start its clock, under a provisional reference.
    4. Assign it if the team assigns automatically.
    5. Last, number it within the handling agency, with its search document and assignee.

    Nothing recorded before the number is taken holds the reference: events name the ticket
    by id, and the subscribers that write it into notices and mail run after the commit.
    Numbering last keeps the agency's counter locked for an instant only; called inside a
    longer transaction, the caller keeps it locked until its own commit: work that belongs in
    the creation's transaction (storing its attachments) is `before_numbering(ticket,
    created_event)` instead, run before the counter and the team's row are locked.

    Once it commits, a worker hands its events to their subscribers: they acknowledge the
    report, tell the team and attach it to the open major incident it matches, if any.
    """
    subject, description = subject.strip(), description.strip()
    if not subject:
        raise ValidationError({"subject": _("Enter a subject.")})
    if not description:
        raise ValidationError({"description": _("Describe the problem.")})
    if not category.is_active:
        raise ValidationError({"category": _("This service is no longer offered.")})
    if category.agency_id and category.agency_id != getattr(requester_agency, "pk", None):
        raise ValidationError({"category": _("This service belongs to another agency.")})
    if impact not in Level.values or urgency not in Level.values:
        raise ValidationError(_("Choose how many people are affected and how urgent it is."))
    agency, team = route_for(category, requester_agency)
    now = _now()
    # The creation's events go to the worker, every subscriber included: the reporter waits
    # for the confirmation page only. The acknowledgement's e-mail leaves through the outbox
    # anyway and its notice may come a moment later; webhooks and the incident match concern
    # nobody on the page (the confirmation shows a matching incident by itself). Inline, they
    # cost as many statements as the creation itself, on every report.
    run = Run.TASK
    ticket = Ticket.objects.create(
        reference=_provisional_reference(),
        agency=agency,
        team=team,
        requester=requester,
        requester_agency=requester_agency,
        category=category,
        subject=subject,
        description=description,
        channel=channel,
        kind=kind,
        impact=impact,
        urgency=urgency,
        priority=priority_for(impact, urgency),
        created_at=now,
        updated_at=now,
    )
    created = _event(
        ticket,
        TicketEvent.Kind.CREATED,
        logged_by or requester,
        quiet=quiet,
        run=run,
        channel=channel,
        agency=agency.code,
        team=team.name if team else None,
        on_behalf_of=requester.email if logged_by else None,
    )
    # The clock's fields are written with the number, in the creation's last statement.
    clock_fields = sla.clock_start(ticket, now)
    if before_numbering is not None:
        before_numbering(ticket, created)
    # The team's row, locked to share the work out fairly, is held from here to the commit:
    # the little left to do.
    assignee = _auto_assign(ticket)
    if assignee:
        ticket.assignee = assignee
        _event(
            ticket, TicketEvent.Kind.ASSIGNEE, None, quiet=quiet, run=run, new=assignee.email,
            automatic=True,
        )  # fmt: skip
    _number(ticket, assignee=assignee, **{name: getattr(ticket, name) for name in clock_fields})
    return ticket


# -- Conversation ----------------------------------------------------------------------------


@transaction.atomic
def ticket_reply(
    *,
    ticket: Ticket,
    author: User,
    body: str,
    internal: bool = False,
    as_agent: bool = False,
    minutes: int | None = None,
    quiet: Quiet = Quiet.NONE,
) -> TicketEvent:
    """A public reply or, from an agent, an internal note.

    A requester's reply to a resolved ticket reopens it; an agent's first public reply
    records the first response. `minutes`, from an agent, records time spent with it.
    """
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write a message first.")})
    minutes = time_spent.minutes_check(minutes)
    if minutes is not None and not as_agent:
        raise ValidationError({"minutes": _("Only agents record time spent.")})
    ticket = ticket_lock(ticket)
    if ticket.status == Status.CLOSED:
        raise ValidationError(_("This ticket is closed. Report a new problem instead."))
    if internal and not as_agent:
        raise ValidationError(_("Only agents can write internal notes."))
    if ticket.kind == Ticket.Kind.MAJOR_INCIDENT and not as_agent:
        # Hundreds may follow a major incident: their words belong on their own tickets.
        raise ValidationError(
            _("Only the agency working on this major incident posts its updates. "
              "Reply on your own ticket instead.")
        )  # fmt: skip
    kind = TicketEvent.Kind.NOTE if internal else TicketEvent.Kind.REPLY
    # `@name` in a note tells that colleague (notifications); a public reply mentions nobody.
    mentioned = [user.pk for user in mentions_resolve(ticket, body)] if internal else []
    event = _event(
        ticket, kind, author, quiet=quiet, public=not internal, body=body, by_agent=as_agent,
        mentions=mentioned or None,
    )  # fmt: skip
    fields = []
    if as_agent and not internal:
        if ticket.first_response_at is None:
            ticket.first_response_at = event.created_at
            fields.append("first_response_at")
            sla.clock_first_response(ticket, event.created_at)
        if ticket.status == Status.NEW:
            ticket_set_status(ticket, Status.OPEN, author, quiet=quiet)
            fields += ["status"]
    elif not as_agent and ticket.status in (Status.RESOLVED, Status.PENDING):
        # The requester answered: the ball is back with the agency.
        ticket_set_status(ticket, Status.OPEN, author, reason="requester replied", quiet=quiet)
        fields += ["status", "resolved_at"]
    if minutes is not None:
        time_spent.time_entry_add(
            ticket=ticket, agent=author, minutes=minutes, quiet=quiet, at=event.created_at
        )
    ticket_save(ticket, *fields)
    _refresh_search(ticket)
    return event


def ticket_set_status(
    ticket: Ticket,
    status: str,
    actor: User | None,
    *,
    reason: str | None = None,
    quiet: Quiet = Quiet.NONE,
) -> None:
    """Changes the status of a locked ticket in memory, with its event and its clock; the
    caller saves it with `ticket_save(ticket, "status", "resolved_at", "closed_at")`."""
    old = ticket.status
    if old == status:
        return
    now = _now()
    ticket.status = status
    if status == Status.RESOLVED:
        ticket.resolved_at = now
    elif status == Status.CLOSED:
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
    elif old in (Status.RESOLVED, Status.CLOSED):
        ticket.resolved_at = None
        ticket.closed_at = None
    _event(ticket, TicketEvent.Kind.STATUS, actor, quiet=quiet, old=old, new=status, reason=reason)
    sla.clock_status_changed(ticket, old, status, now, actor)


# -- Agents' changes -------------------------------------------------------------------------


@transaction.atomic
def ticket_update(
    *,
    ticket: Ticket,
    actor: User,
    expected_version: int | None = None,
    status: str | None = None,
    impact: str | None = None,
    urgency: str | None = None,
    team: Team | bool | None = False,
    assignee: User | bool | None = False,
    category: Category | None = None,
    quiet: Quiet = Quiet.NONE,
) -> Ticket:
    """Applies an agent's changes, one event per field that changed.

    `team` and `assignee` use False for "leave as is", since None means "nobody".
    """
    ticket = ticket_lock(ticket, expected_version)
    if ticket.status == Status.CLOSED and status in (None, Status.CLOSED):
        raise ValidationError(_("This ticket is closed: reopen it before changing it."))
    fields: list[str] = []
    if status is not None and status != ticket.status:
        if status not in Status.values:
            raise ValidationError({"status": _("Choose a status from the list.")})
        _refuse_silent_incident_resolution(ticket, status)
        ticket_set_status(ticket, status, actor, quiet=quiet)
        fields += ["status", "resolved_at", "closed_at"]
    impact = impact or ticket.impact
    urgency = urgency or ticket.urgency
    if (impact, urgency) != (ticket.impact, ticket.urgency):
        if impact not in Level.values or urgency not in Level.values:
            raise ValidationError(_("Choose impact and urgency from the lists."))
        old_priority = ticket.priority
        ticket.impact, ticket.urgency = impact, urgency
        ticket.priority = priority_for(impact, urgency)
        _event(
            ticket, TicketEvent.Kind.PRIORITY, actor, quiet=quiet, old=old_priority,
            new=ticket.priority, impact=impact, urgency=urgency,
        )  # fmt: skip
        fields += ["impact", "urgency", "priority"]
        sla.clock_priority_changed(ticket, _now(), actor)
    if category is not None and category.pk != ticket.category_id:
        if not category.is_active:
            raise ValidationError({"category": _("This service is no longer offered.")})
        if category.agency_id and category.agency_id != ticket.agency_id:
            raise ValidationError({"category": _("This service belongs to another agency.")})
        _event(
            ticket,
            TicketEvent.Kind.CATEGORY,
            actor,
            quiet=quiet,
            old=ticket.category.name,
            new=category.name,
        )
        ticket.category = category
        fields.append("category")
    if team is not False and getattr(team, "pk", None) != ticket.team_id:
        if team is not None and team.agency_id != ticket.agency_id:
            raise ValidationError({"team": _("Choose a team of the handling agency.")})
        _event(
            ticket, TicketEvent.Kind.TEAM, actor, quiet=quiet,
            old=ticket.team.name if ticket.team else None, new=team.name if team else None,
        )  # fmt: skip
        ticket.team = team
        fields.append("team")
    if assignee is not False and getattr(assignee, "pk", None) != ticket.assignee_id:
        _assign(ticket, assignee, actor, quiet=quiet)
        fields += ["assignee", "status"]  # assigning a new ticket opens it
    if fields:
        ticket_save(ticket, *fields)
    return ticket


# The code of the refusal below: a view offers the incident's own resolution instead.
INCIDENT_CHILDREN_OPEN = "incident_children_open"


def _refuse_silent_incident_resolution(ticket: Ticket, status: str) -> None:
    """A major incident with open tickets is resolved or closed only with them, by the
    incidents app's "Resolve all" (confirmed, with one note to everyone): never here, which
    would leave its tickets open and their people untold."""
    if not (ticket.is_major_incident and ticket.is_open and status in Ticket.CLOSED_STATUSES):
        return
    count = ticket.children.exclude(status__in=Ticket.CLOSED_STATUSES).count()
    if count:
        raise ValidationError(
            ngettext(
                "%(reference)s has %(count)s open ticket: resolve the incident with it, "
                "using “Resolve all”, which asks for one note to everyone affected.",
                "%(reference)s has %(count)s open tickets: resolve the incident with them, "
                "using “Resolve all”, which asks for one note to everyone affected.",
                count,
            )
            % {"reference": ticket.reference, "count": count},
            code=INCIDENT_CHILDREN_OPEN,
        )


def _assign(ticket: Ticket, assignee: User | None, actor: User | None, *, quiet: Quiet) -> None:
    if assignee is not None and not user_is_staff_of(assignee, ticket.agency_id):
        raise ValidationError(
            {"assignee": _("%(name)s is not an agent of %(agency)s.")
             % {"name": assignee.get_full_name(), "agency": ticket.agency.code}}
        )  # fmt: skip
    _event(
        ticket, TicketEvent.Kind.ASSIGNEE, actor, quiet=quiet,
        old=ticket.assignee.email if ticket.assignee else None,
        new=assignee.email if assignee else None,
    )  # fmt: skip
    ticket.assignee = assignee
    if assignee is not None and ticket.status == Status.NEW:
        ticket_set_status(ticket, Status.OPEN, actor, quiet=quiet)


@transaction.atomic
def ticket_assign(
    *,
    ticket: Ticket,
    assignee: User | None,
    actor: User,
    expected_version: int | None = None,
    quiet: Quiet = Quiet.NONE,
) -> Ticket:
    """`expected_version`, when given, refuses the change if the ticket was saved since (the
    agent confirmed taking it from a colleague as it was then)."""
    ticket = ticket_lock(ticket, expected_version)
    if ticket.status == Status.CLOSED:
        raise ValidationError(_("This ticket is closed: reopen it before changing it."))
    if assignee is None or assignee.pk != ticket.assignee_id:
        _assign(ticket, assignee, actor, quiet=quiet)
        ticket_save(ticket, "assignee", "status")
    return ticket


@transaction.atomic
def tickets_bulk_update(
    *,
    tickets: list[Ticket],
    actor: User,
    status: str | None = None,
    assignee=False,
    quiet: Quiet = Quiet.NONE,
) -> int:
    """Applies one change to several tickets; all or nothing."""
    changed = 0
    for ticket in sorted(tickets, key=lambda t: t.pk):  # one lock order: no deadlocks
        try:
            ticket_update(ticket=ticket, actor=actor, status=status, assignee=assignee, quiet=quiet)
        except ValidationError as error:
            # With many tickets selected, say which one refused; nothing was changed.
            raise ValidationError(
                [f"{ticket.reference}: {message}" for message in error.messages]
            ) from None
        changed += 1
    return changed


# -- Requester's actions ---------------------------------------------------------------------


@transaction.atomic
def ticket_close_by_requester(*, ticket: Ticket, actor: User, quiet: Quiet = Quiet.NONE) -> Ticket:
    ticket = ticket_lock(ticket)
    if ticket.status == Status.CLOSED:
        raise ValidationError(_("This ticket is already closed."))
    ticket_set_status(ticket, Status.CLOSED, actor, reason="closed by requester", quiet=quiet)
    ticket_save(ticket, "status", "resolved_at", "closed_at")
    return ticket


@transaction.atomic
def ticket_auto_close(*, ticket: Ticket, now=None, quiet: Quiet = Quiet.NONE) -> int:
    """Closes a ticket left resolved without a reply; 0 if something changed it meanwhile."""
    locked = Ticket.objects.select_for_update().filter(pk=ticket.pk, status=Status.RESOLVED)
    ticket = locked.first()
    if ticket is None:
        return 0
    ticket_set_status(
        ticket, Status.CLOSED, None, reason="closed automatically after resolution", quiet=quiet
    )
    ticket_save(ticket, "status", "resolved_at", "closed_at")
    return 1


@transaction.atomic
def ticket_reopen(
    *, ticket: Ticket, actor: User, reason: str = "", quiet: Quiet = Quiet.NONE
) -> Ticket:
    ticket = ticket_lock(ticket)
    if ticket.status != Status.RESOLVED:
        raise ValidationError(_("Only a resolved ticket can be reopened."))
    ticket_set_status(ticket, Status.OPEN, actor, reason=reason.strip() or "reopened", quiet=quiet)
    ticket_save(ticket, "status", "resolved_at", "closed_at")
    return ticket


@transaction.atomic
def ticket_watcher_add(
    *, ticket: Ticket, email: str, actor: User, quiet: Quiet = Quiet.NONE
) -> User:
    email = email.strip().lower()
    watcher = User.objects.filter(email__iexact=email, is_active=True).first()
    if watcher is None:
        raise ValidationError(
            {"email": _("No one with the address %(email)s uses GovDesk.") % {"email": email}}
        )
    ticket = ticket_lock(ticket)
    if watcher.pk == ticket.requester_id or ticket.watchers.filter(pk=watcher.pk).exists():
        raise ValidationError(
            {"email": _("%(email)s already follows this ticket.") % {"email": email}}
        )
    ticket.watchers.add(watcher)
    _event(ticket, TicketEvent.Kind.WATCHER, actor, quiet=quiet, new=watcher.email)
    ticket_save(ticket)
    return watcher


# -- Between tickets and agencies ------------------------------------------------------------


@transaction.atomic
def ticket_transfer(
    *, ticket: Ticket, to_agency: Agency, reason: str, actor: User, quiet: Quiet = Quiet.NONE
) -> Ticket:
    """Moves a ticket to another agency. The reference and the SLA start never change."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the ticket moves, for the receiving agency.")})
    ticket = ticket_lock(ticket)
    if ticket.status == Status.CLOSED:
        raise ValidationError(_("This ticket is closed: reopen it before changing it."))
    if to_agency.pk == ticket.agency_id:
        raise ValidationError({"to_agency": _("The ticket is already with this agency.")})
    if not to_agency.is_active:
        raise ValidationError({"to_agency": _("That agency is not taking tickets.")})
    from_agency = ticket.agency
    TicketTransfer.objects.create(
        ticket=ticket, from_agency=from_agency, to_agency=to_agency, reason=reason,
        actor=actor, created_at=_now(),
    )  # fmt: skip
    ticket.agency = to_agency
    ticket.team = team_for(ticket.category, to_agency)
    ticket.assignee = None
    _event(
        ticket, TicketEvent.Kind.TRANSFER, actor, quiet=quiet, body=reason,
        old=from_agency.code, new=to_agency.code, team=ticket.team.name if ticket.team else None,
    )  # fmt: skip
    sla.clock_transferred(ticket, from_agency, _now(), actor)
    if ticket.status not in (Status.NEW, Status.RESOLVED):
        ticket_set_status(ticket, Status.NEW, actor, reason="transferred", quiet=quiet)
    ticket_save(ticket, "agency", "team", "assignee", "status", "resolved_at", "closed_at")
    assignee = _auto_assign(ticket)
    if assignee:
        _assign(ticket, assignee, None, quiet=quiet)
        ticket_save(ticket, "assignee", "status")
    return ticket


@transaction.atomic
def ticket_merge(
    *, duplicate: Ticket, target: Ticket, actor: User, quiet: Quiet = Quiet.NONE
) -> Ticket:
    """Closes `duplicate` with a pointer to `target`; its requester follows the target."""
    if duplicate.pk == target.pk:
        raise ValidationError({"target": _("A ticket cannot be merged into itself.")})
    first, second = sorted([duplicate, target], key=lambda t: t.pk)
    first, second = ticket_lock(first), ticket_lock(second)
    duplicate, target = (first, second) if first.pk == duplicate.pk else (second, first)
    if duplicate.status == Status.CLOSED:
        raise ValidationError(_("This ticket is closed: reopen it before changing it."))
    if target.status == Status.CLOSED:
        raise ValidationError({"target": _("Merge into an open ticket, not a closed one.")})
    if target.agency_id != duplicate.agency_id:
        raise ValidationError({"target": _("Merge into a ticket of the same agency.")})
    duplicate.merged_into = target
    _event(duplicate, TicketEvent.Kind.MERGE, actor, quiet=quiet, into=target.reference)
    ticket_set_status(
        duplicate, Status.CLOSED, actor, reason=f"merged into {target.reference}", quiet=quiet
    )
    ticket_save(duplicate, "merged_into", "status", "resolved_at", "closed_at")
    if duplicate.requester_id != target.requester_id:
        target.watchers.add(duplicate.requester_id)
    target.watchers.add(*duplicate.watchers.exclude(pk=target.requester_id))
    _event(target, TicketEvent.Kind.MERGE, actor, quiet=quiet, merged=duplicate.reference)
    ticket_save(target)
    return target


@transaction.atomic
def ticket_link(*, ticket: Ticket, other: Ticket, actor: User, quiet: Quiet = Quiet.NONE) -> None:
    if ticket.pk == other.pk:
        raise ValidationError({"other": _("A ticket cannot be linked to itself.")})
    low, high = sorted([ticket, other], key=lambda t: t.pk)
    _link, created = TicketLink.objects.get_or_create(
        from_ticket=low, to_ticket=high, defaults={"created_at": _now()}
    )
    if not created:
        raise ValidationError({"other": _("These tickets are already linked.")})
    # Links are the agents' working notes: the requester of one ticket may not open the other.
    _event(ticket, TicketEvent.Kind.LINK, actor, quiet=quiet, public=False, other=other.reference)
    _event(other, TicketEvent.Kind.LINK, actor, quiet=quiet, public=False, other=ticket.reference)


def search_rank(query: str, *, include_notes: bool):
    """How well a ticket matches: an exact reference first, then full-text relevance."""
    from django.contrib.postgres.search import SearchQuery, SearchRank
    from django.db.models import Case, FloatField, When

    search = SearchQuery(query, config=SEARCH_CONFIG, search_type="websearch")
    rank = SearchRank(F("search_public"), search)
    if include_notes:
        rank = rank + SearchRank(F("search_notes"), search)
    exact = Case(
        When(reference__iexact=query.strip(), then=Value(10.0)),
        default=Value(0.0),
        output_field=FloatField(),
    )
    return exact + rank


def search_query_filter(query: str, *, include_notes: bool) -> Q:
    """Full-text match on the search documents, or a trigram match on reference or subject."""
    from django.contrib.postgres.search import SearchQuery

    search = SearchQuery(query, config=SEARCH_CONFIG, search_type="websearch")
    condition = (
        Q(search_public=search) | Q(reference__icontains=query) | Q(subject__trigram_similar=query)
    )
    if include_notes:
        condition |= Q(search_notes=search)
    return condition
