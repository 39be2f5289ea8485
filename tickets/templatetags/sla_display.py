"""The service-level clocks in words: on the ticket page, in the queue and in the history.

Reads the fields tickets/sla.py keeps and computes nothing of its own: "due in" is wall-clock
time until the due instant, which the clock already placed in business time. Every state is a
phrase and every moment a <time> element, so colour is never the only signal.

- `{% sla_clocks ticket %}`: both clocks on the ticket page (templates/tickets/_sla.html), with
  their moments in the handling agency's time zone.
- `{% sla_due ticket %}`: the queue's "Due" cell, from the `sla_due_at` that
  `tickets.filters.queue_tickets` puts on each row.
- `event|sla_event` and `event|escalation_summary`: the clock's entries in the history.

The moment called "now" is the view's `sla_now` when it passes one, so that a whole page agrees.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.templatetags.moments import moment_text
from service_levels.models import EscalationLevel, Priority
from tickets.models import Ticket, TicketEvent

register = template.Library()


# -- Words for lengths of time and moments ----------------------------------------------------


def _days(n: int, short: bool) -> str:
    if short:
        return ngettext("%(count)d d", "%(count)d d", n) % {"count": n}
    return ngettext("%(count)d day", "%(count)d days", n) % {"count": n}


def _hours(n: int, short: bool) -> str:
    if short:
        return ngettext("%(count)d h", "%(count)d h", n) % {"count": n}
    return ngettext("%(count)d hour", "%(count)d hours", n) % {"count": n}


def _minutes(n: int, short: bool) -> str:
    if short:
        return ngettext("%(count)d min", "%(count)d min", n) % {"count": n}
    return ngettext("%(count)d minute", "%(count)d minutes", n) % {"count": n}


def duration_words(length: timedelta, *, short: bool = False) -> str:
    """A length of time in its largest unit and the next, if any: "2 hours 10 minutes",
    "3 days", "45 minutes"; short, "2 h 10 min". Whole minutes, rounded down."""
    minutes = max(int(length.total_seconds() // 60), 0)
    if minutes == 0:
        return _("under 1 min") if short else _("less than a minute")
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    units = [(days, _days), (hours, _hours), (minutes, _minutes)]
    first = next(i for i, (amount, _unit) in enumerate(units) if amount)
    words = [units[first][1](units[first][0], short)]
    if first + 1 < len(units) and units[first + 1][0]:
        amount, unit = units[first + 1]
        # Translators: a length of time in two units, such as "2 hours 10 minutes".
        words = [_("%(larger)s %(smaller)s") % {"larger": words[0], "smaller": unit(amount, short)}]
    return words[0]


def _when(moment: datetime, zone=None) -> dict:
    """A moment for a <time> element: machine-readable, and in the house words of
    core.templatetags.moments, in the given time zone (else the active one)."""
    zone = zone or timezone.get_current_timezone()
    with timezone.override(zone):
        return {"iso": timezone.localtime(moment).isoformat(), "text": moment_text(moment)}


def _now(context) -> datetime:
    return context.get("sla_now") or timezone.now()


# -- The ticket page -------------------------------------------------------------------------


@dataclass
class ClockShown:
    """One clock as _sla.html says it. `phrase` picks the sentence; `state` the styling."""

    label: str
    phrase: str
    state: str
    duration: str = ""
    at: dict | None = None


def _paused_phrase(ticket: Ticket) -> str:
    if ticket.status == Ticket.Status.PENDING:
        return "paused_requester"
    if ticket.status == Ticket.Status.ON_HOLD:
        return "paused_on_hold"
    return "paused"


def _running(label: str, due: datetime | None, breached: bool, ticket: Ticket, now, zone):
    """A clock still counting, or paused: how long is left, or how long it is overdue."""
    if ticket.sla_paused_since is not None:
        return ClockShown(
            label, _paused_phrase(ticket), "paused", at=_when(ticket.sla_paused_since, zone)
        )
    if due is None:
        return ClockShown(label, "unset", "unset")
    if now > due:
        return ClockShown(
            label, "overdue", "late", duration=duration_words(now - due), at=_when(due, zone)
        )
    if breached:
        # Marked breached by an escalation level set below 100 %: say so, not "due in".
        return ClockShown(label, "breached_early", "late", at=_when(due, zone))
    return ClockShown(
        label, "due", "running", duration=duration_words(due - now), at=_when(due, zone)
    )


def _response_clock(ticket: Ticket, now: datetime, zone) -> ClockShown:
    label = _("First response")
    due = ticket.response_due_at
    answered = ticket.first_response_at
    if answered is not None:
        # The clock judged it on business time used, pauses excluded (tickets/sla.py).
        missed = ticket.response_breached
        return ClockShown(
            label,
            "answered_missed" if missed else "answered_met",
            "late" if missed else "met",
            duration=duration_words(answered - ticket.created_at),
        )
    if not ticket.is_open:
        # Resolved before anyone replied: the resolution was the answer.
        missed = ticket.response_breached
        return ClockShown(
            label, "unanswered_missed" if missed else "unanswered", "late" if missed else "met"
        )
    return _running(label, due, ticket.response_breached, ticket, now, zone)


def _resolution_clock(ticket: Ticket, now: datetime, zone) -> ClockShown:
    label = _("Resolution")
    if not ticket.is_open:
        breached = ticket.resolution_breached
        ended = ticket.resolved_at or ticket.closed_at or now
        return ClockShown(
            label,
            "resolved_breached" if breached else "resolved_met",
            "late" if breached else "met",
            duration=duration_words(ended - ticket.created_at),
        )
    return _running(label, ticket.resolution_due_at, ticket.resolution_breached, ticket, now, zone)


@register.inclusion_tag("tickets/_sla.html", takes_context=True)
def sla_clocks(context, ticket: Ticket):
    """Both clocks of the ticket, in words, in its handling agency's time zone. No queries:
    the agency comes with the ticket, and the policy is only asked whether it is there."""
    if ticket.sla_policy_id is None:
        return {"clocks": []}
    now = _now(context)
    zone = ZoneInfo(ticket.agency.time_zone)
    return {"clocks": [_response_clock(ticket, now, zone), _resolution_clock(ticket, now, zone)]}


# -- The queue -------------------------------------------------------------------------------


@register.simple_tag(takes_context=True)
def sla_due(context, ticket: Ticket):
    """The earliest due time of a queue row, short: "in 40 min", "overdue 2 h", "paused"."""
    if ticket.is_open and ticket.sla_paused_since is not None:
        return format_html('<span class="sla-due sla-due-paused">{}</span>', _("paused"))
    due = ticket.sla_due_at
    if not ticket.is_open or due is None:
        text = _("stopped") if due is not None else _("none")
        return format_html('<span class="hint">{}</span>', text)
    now = _now(context)
    if now > due:
        late = duration_words(now - due, short=True)
        text, state = _("overdue %(duration)s") % {"duration": late}, "late"
    else:
        left = duration_words(due - now, short=True)
        text, state = _("in %(duration)s") % {"duration": left}, "running"
    return format_html(
        '<time datetime="{}" class="sla-due sla-due-{}">{}</time>', due.isoformat(), state, text
    )


# -- The history -----------------------------------------------------------------------------

_SLA_REASONS = {
    "created": lambda: _("Service level: due times set."),
    "resumed": lambda: _("Service level: due times recomputed (the clock started again)."),
    "priority changed": lambda: _("Service level: due times recomputed (the priority changed)."),
    "transferred": lambda: _("Service level: due times recomputed (moved to another agency)."),
    "rules changed": lambda: _(
        "Service level: due times recomputed (the calendar or the service level changed)."
    ),
}


def _parse(value) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


@register.filter
def sla_event(event: TicketEvent) -> dict:
    """A service-level entry: what happened, and the due times it set, in the active time zone.

    The first response's due time is left out once the ticket had its first response by then.
    """
    reason = event.data.get("reason", "")
    if reason in _SLA_REASONS:
        summary = _SLA_REASONS[reason]()
    else:
        summary = _("Service level: due times recomputed (%(reason)s).") % {"reason": reason}
    response = _parse(event.data.get("response_due_at"))
    answered = event.ticket.first_response_at
    if answered is not None and answered <= event.created_at:
        response = None
    resolution = _parse(event.data.get("resolution_due_at"))
    return {
        "summary": summary,
        "response": _when(response) if response else None,
        "resolution": _when(resolution) if resolution else None,
    }


_NOTIFIED = {
    EscalationLevel.Notify.ASSIGNEE_OR_TEAM: lambda: _(
        "Notified the assignee, or the team if nobody is assigned."
    ),
    EscalationLevel.Notify.TEAM: lambda: _("Notified the team."),
    EscalationLevel.Notify.TEAM_LEAD_AND_ADMINS: lambda: _(
        "Notified the team lead and the agency's admins."
    ),
}


@register.filter
def escalation_summary(event: TicketEvent) -> str:
    """An escalation entry in plain sentences; the template escapes it."""
    data = event.data
    values = {"level": data.get("level", "?"), "percent": data.get("percent", "?")}
    response = data.get("clock") == EscalationLevel.Clock.RESPONSE
    if response:
        reached = _("Escalation level %(level)s: %(percent)s%% of the first response time used.")
    else:
        reached = _("Escalation level %(level)s: %(percent)s%% of the resolution time used.")
    sentences = [reached % values]
    notify = data.get("notify")
    if notify in _NOTIFIED:
        sentences.append(_NOTIFIED[notify]())
    if data.get("breach"):
        sentences.append(
            _("The first response is marked as missed.")
            if response
            else _("The resolution is marked as breached.")
        )
    if data.get("raised_priority"):
        try:
            priority = Priority(data["raised_priority"]).label
        except ValueError:
            priority = data["raised_priority"]
        sentences.append(_("Priority raised to %(priority)s.") % {"priority": priority})
    if data.get("reassigned_to"):
        sentences.append(_("Reassigned to %(email)s.") % {"email": data["reassigned_to"]})
    return " ".join(str(s) for s in sentences)
