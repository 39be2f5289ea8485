"""Filters for the ticket page: bodies in light Markdown, and history entries in plain words.

Staff read every entry as it was recorded; a requester (and anyone else outside the handling
agency) reads the entries meant for them, written for them: names, never staff addresses.
"""

from django import template
from django.utils.translation import gettext as _

from service_levels.models import Priority
from tickets.markdown import render_markdown
from tickets.models import Ticket, TicketEvent

register = template.Library()

Kind = TicketEvent.Kind

# Why a status changed, as the services record it (English, in the data), in words.
_STATUS_REASONS = {
    "requester replied": lambda: _("The requester replied."),
    "closed by requester": lambda: _("The requester closed it."),
    "transferred": lambda: _("It moved to another agency."),
    "reopened": lambda: _("It was reopened."),
}


@register.filter
def render_body(text: str):
    """A message body as sanitised HTML."""
    return render_markdown(text)


def _label(choices, value) -> str:
    if value in (None, ""):
        return _("none")
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _status_reason(reason: str | None) -> str:
    if not reason:
        return ""
    if reason in _STATUS_REASONS:
        return _STATUS_REASONS[reason]()
    if reason.startswith("merged into "):
        return _("It was merged into %(reference)s.") % {"reference": reason[12:]}
    # A reason a person wrote when reopening.
    return _("Reason: %(reason)s") % {"reason": reason}


def _created(data: dict) -> str:
    channel = data.get("channel")
    if data.get("on_behalf_of"):
        text = _("Logged on behalf of %(email)s.") % {"email": data["on_behalf_of"]}
    elif channel and channel != Ticket.Channel.WEB:
        text = _("Reported by %(channel)s.") % {"channel": _label(Ticket.Channel, channel)}
    else:
        text = _("Reported the problem.")
    if data.get("agency") and data.get("team"):
        text += " " + _("Sent to %(agency)s, team %(team)s.") % data
    elif data.get("agency"):
        text += " " + _("Sent to %(agency)s.") % data
    return text


def _assignee(data: dict) -> str:
    if data.get("new"):
        if data.get("automatic"):
            return _("Assigned automatically to %(name)s.") % {"name": data["new"]}
        return _("Assigned to %(name)s.") % {"name": data["new"]}
    return _("No longer assigned to anyone.")


def _team(data: dict) -> str:
    if data.get("new"):
        return _("Moved to the team %(team)s.") % {"team": data["new"]}
    return _("No longer with any team.")


def _status(data: dict) -> str:
    text = _("Status changed from %(old)s to %(new)s.") % {
        "old": _label(Ticket.Status, data.get("old")),
        "new": _label(Ticket.Status, data.get("new")),
    }
    reason = _status_reason(data.get("reason"))
    return f"{text} {reason}" if reason else text


def _priority(data: dict) -> str:
    return _("Priority changed from %(old)s to %(new)s.") % {
        "old": _label(Priority, data.get("old")),
        "new": _label(Priority, data.get("new")),
    }


def _category(data: dict) -> str:
    return _("Category changed from %(old)s to %(new)s.") % {
        "old": data.get("old") or _("none"),
        "new": data.get("new") or _("none"),
    }


def _transfer(data: dict, body: str) -> str:
    moved = {"old": data.get("old", "?"), "new": data.get("new", "?")}
    if body:
        return _("Moved from %(old)s to %(new)s: %(reason)s") % {**moved, "reason": body}
    return _("Moved from %(old)s to %(new)s.") % moved


def _merge(data: dict) -> str:
    if data.get("into"):
        return _("Merged into %(reference)s.") % {"reference": data["into"]}
    return _("%(reference)s was merged into this ticket.") % {"reference": data.get("merged")}


def _incident(data: dict) -> str:
    action = data.get("action")
    if action == "attached":
        return _("Part of the major incident %(reference)s.") % {"reference": data.get("incident")}
    if action == "detached":
        return _("No longer part of the major incident %(reference)s.") % {
            "reference": data.get("incident")
        }
    if action == "child_attached":
        return _("%(reference)s is now part of this incident.") % {"reference": data.get("child")}
    if action == "child_detached":
        return _("%(reference)s is no longer part of this incident.") % {
            "reference": data.get("child")
        }
    if action == "affected":
        return _("Someone from %(agency)s is affected too.") % {
            "agency": data.get("agency") or _("no agency")
        }
    return ""


_DESCRIBE = {
    Kind.CREATED: lambda e: _created(e.data),
    Kind.STATUS: lambda e: _status(e.data),
    Kind.PRIORITY: lambda e: _priority(e.data),
    Kind.TEAM: lambda e: _team(e.data),
    Kind.ASSIGNEE: lambda e: _assignee(e.data),
    Kind.CATEGORY: lambda e: _category(e.data),
    Kind.TRANSFER: lambda e: _transfer(e.data, e.body),
    Kind.MERGE: lambda e: _merge(e.data),
    Kind.LINK: lambda e: _("Linked to %(reference)s.") % {"reference": e.data.get("other")},
    Kind.WATCHER: lambda e: _("%(email)s now follows this ticket.") % {"email": e.data.get("new")},
    Kind.INCIDENT: lambda e: _incident(e.data),
}


@register.filter
def event_summary(event: TicketEvent) -> str:
    """What a history entry did, in a sentence; empty for replies and notes, whose body says it.

    Plain text: the template escapes it.
    """
    describe = _DESCRIBE.get(event.kind)
    return describe(event) if describe else ""


@register.filter
def event_has_body(event: TicketEvent) -> bool:
    """Whether the entry's body is a message to show (a transfer's reason is in its summary)."""
    return bool(event.body) and event.kind in (Kind.REPLY, Kind.NOTE)


def _public_created(data: dict) -> str:
    channel = data.get("channel")
    if data.get("on_behalf_of"):
        text = _("Logged by the service desk on your behalf.")
    elif channel and channel != Ticket.Channel.WEB:
        text = _("Reported by %(channel)s.") % {"channel": _label(Ticket.Channel, channel)}
    else:
        text = _("Reported the problem.")
    if data.get("agency"):
        text += " " + _("Sent to %(agency)s.") % {"agency": data["agency"]}
    return text


def _public_transfer(data: dict, body: str) -> str:
    text = _("%(new)s handles this ticket from now on: %(old)s passed it on.") % {
        "old": data.get("old", "?"),
        "new": data.get("new", "?"),
    }
    if body:
        text += " " + _("Why: %(reason)s") % {"reason": body}
    return text


def _public_watcher(event: TicketEvent) -> str:
    # The address the requester typed is theirs to read; one a member of staff added is not.
    if event.actor_id and event.actor_id == event.ticket.requester_id:
        return _("%(email)s now follows this ticket.") % {"email": event.data.get("new")}
    return _("Someone else now follows this ticket.")


_DESCRIBE_PUBLIC = {
    **_DESCRIBE,
    Kind.CREATED: lambda e: _public_created(e.data),
    Kind.TRANSFER: lambda e: _public_transfer(e.data, e.body),
    Kind.WATCHER: lambda e: _public_watcher(e),
}


@register.filter
def event_summary_for_requester(event: TicketEvent) -> str:
    """What a history entry did, as the requester reads it."""
    describe = _DESCRIBE_PUBLIC.get(event.kind)
    return describe(event) if describe else ""


@register.filter
def event_author_for_requester(event: TicketEvent) -> str:
    """Who did it, as the requester reads it: a name, or the service desk; a staff member's
    e-mail address never. Requesters and their colleagues are named as they named themselves."""
    actor = event.actor
    if actor is None:
        return _("GovDesk (automatic)")
    if actor.full_name:
        return actor.full_name
    from_the_agency = event.kind != Kind.REPLY or event.data.get("by_agent")
    if actor.pk == event.ticket.requester_id or not from_the_agency:
        return actor.email
    return _("The service desk")
