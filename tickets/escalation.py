"""The escalation sweep and the auto-close of resolved tickets: what beat runs every minute.

The sweep reads only tickets whose `next_escalation_at` has come (an indexed column), in
batches, locking each batch with SKIP LOCKED so that two sweeps at once share the work instead
of doing it twice. Each batch is worked out in memory and written with a few queries whatever
its size: the escalation events in one insert, the tickets in one update, and their
publication (tickets/events.py), which a worker hands to the subscribers after the commit.
A ticket that fails is logged and retried later; it never stops the sweep.
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from core.bulk import rows_insert, rows_update
from core.pending_work import Run
from service_levels.models import EscalationLevel, Priority, SLAPolicy
from tickets import sla
from tickets.events import Quiet, events_publish
from tickets.models import Ticket, TicketEvent

logger = logging.getLogger(__name__)

SWEEP_BATCH = 200
RETRY_FAILED_AFTER = timedelta(minutes=15)
PRIORITY_UP = {Priority.P4: Priority.P3, Priority.P3: Priority.P2, Priority.P2: Priority.P1}
# What escalating changes on a ticket: saved for the whole batch in one UPDATE.
ESCALATED_FIELDS = [
    "escalation_level",
    "escalated_level_ids",
    "next_escalation_at",
    "response_breached",
    "resolution_breached",
    "priority",
    "assignee",
]
# What escalating reads of a ticket (its clock, its levels, whom to reassign to), and writes:
# a third of the row, whose other columns cost their reading and conversion for nothing.
SWEEP_READS = [
    *ESCALATED_FIELDS,
    "reference",
    "agency",
    "team",
    "sla_policy",
    "sla_used_seconds",
    "sla_running_since",
    "first_response_at",
]


def escalation_sweep(
    *, now: datetime | None = None, batch: int = SWEEP_BATCH, quiet: Quiet = Quiet.NONE
) -> int:
    """Escalates every ticket that is due; returns how many levels it applied."""
    now = now or timezone.now()
    rules = _SweepRules()
    applied = 0
    while True:
        with transaction.atomic():
            due = list(
                Ticket.objects.filter(next_escalation_at__lte=now)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("agency", "team__lead")
                .only(*SWEEP_READS)
                .order_by("next_escalation_at")[:batch]
            )
            if due:
                applied += _escalate_batch(due, now, rules, quiet)
        if len(due) < batch:
            return applied


class _SweepRules:
    """The policies (with their levels) and the agencies' calendars, read once per sweep
    however many tickets share them; each calendar laid out once for all of its tickets."""

    def __init__(self):
        self.policies: dict[int, SLAPolicy] = {}
        self.calendars = sla.ClockCalendars()

    def load(self, tickets: list[Ticket]) -> None:
        policy_ids = {t.sla_policy_id for t in tickets if t.sla_policy_id} - self.policies.keys()
        if policy_ids:
            policies = SLAPolicy.objects.filter(pk__in=policy_ids).prefetch_related("levels")
            self.policies.update((policy.pk, policy) for policy in policies)
        self.calendars.load({t.agency_id: t.agency for t in tickets}.values())
        for ticket in tickets:
            if ticket.sla_policy_id:
                ticket.sla_policy = self.policies[ticket.sla_policy_id]
        self.calendars.reach_back(tickets)


def _escalate_batch(due: list[Ticket], now: datetime, rules: _SweepRules, quiet: Quiet) -> int:
    """Escalates the locked tickets of one batch; returns how many levels it applied.

    No compare-and-set per level, as each ticket had when it was saved on its own: the batch's
    rows stay locked FOR UPDATE until the commit, and a concurrent sweep skips locked rows and
    re-reads a committed row's `next_escalation_at` before taking it, so no other sweep can
    take a level of these tickets between this read and this write.
    """
    rules.load(due)
    events: list[TicketEvent] = []
    for ticket in due:
        before = {field: getattr(ticket, field) for field in _ESCALATED_ATTNAMES}
        try:
            events += escalate_in_memory(ticket, now, rules.calendars.clock_for(ticket))
        except Exception:
            logger.exception("Escalating %s failed; retrying later", ticket.reference)
            for field, value in before.items():
                setattr(ticket, field, value)
            ticket.next_escalation_at = now + RETRY_FAILED_AFTER
    # One statement each, as bulk_create and bulk_update without their cost in Python.
    rows_insert(events)
    rows_update(due, ESCALATED_FIELDS)
    # Nobody waits on the sweep: its batch goes to a worker, people and figures alike.
    events_publish(events, quiet=quiet, run=Run.TASK)
    return len(events)


_ESCALATED_ATTNAMES = [Ticket._meta.get_field(name).attname for name in ESCALATED_FIELDS]


def escalate_in_memory(ticket: Ticket, now: datetime, clock: sla.Clock | None) -> list[TicketEvent]:
    """Takes every level of the ticket due by `now`, changing the ticket in memory; returns
    the escalation events, not yet saved. The caller saves both (the sweep, for a whole
    batch; bench/seeding.py replays ticket stories with it)."""
    if clock is None or ticket.sla_running_since is None:
        ticket.next_escalation_at = None
        return []
    events = []
    # In the order they fall due; a response level after the response came has no moment
    # and is never reached.
    for level in sla.levels_ahead(ticket):
        moment = sla.level_moment(clock, ticket, level)
        if moment is None:
            continue
        if moment > now:
            break
        sla.escalation_reached(ticket, level)
        events.append(_apply(ticket, level, now))
    ticket.next_escalation_at = sla.next_escalation(clock, ticket)
    return events


def _apply(ticket: Ticket, level: EscalationLevel, now: datetime) -> TicketEvent:
    data = {
        "level": ticket.escalation_level,
        "level_id": level.pk,
        "clock": level.clock,
        "percent": level.percent,
        "notify": level.notify,
        "breach": level.marks_breach,
    }
    if level.marks_breach:
        if level.clock == EscalationLevel.Clock.RESPONSE:
            ticket.response_breached = True
        else:
            ticket.resolution_breached = True
    if level.raise_priority and ticket.priority in PRIORITY_UP:
        # Raised for attention only: the due times stay those of the original priority.
        ticket.priority = PRIORITY_UP[ticket.priority]
        data["raised_priority"] = ticket.priority
    if level.reassign_to_lead and ticket.team and ticket.team.lead_id:
        ticket.assignee = ticket.team.lead
        data["reassigned_to"] = ticket.team.lead.email
    return TicketEvent(
        ticket=ticket,
        kind=TicketEvent.Kind.ESCALATION,
        actor=None,
        is_public=False,
        created_at=now,
        data=data,
    )


def auto_close_resolved(*, now: datetime | None = None) -> int:
    """Closes tickets resolved for the agency's number of business days without a reply."""
    from tickets.services import ticket_auto_close

    now = now or timezone.now()
    closed = 0
    # N business days take at least N calendar days: a cheap first cut on an index.
    candidates = (
        Ticket.objects.filter(status=Ticket.Status.RESOLVED, resolved_at__isnull=False)
        .filter(resolved_at__lte=now - timedelta(days=1))
        .select_related("agency")
        .order_by("resolved_at")
    )
    schedules = {}
    for ticket in candidates.iterator(chunk_size=500):
        days = ticket.agency.auto_close_days
        if ticket.resolved_at > now - timedelta(days=days):
            continue
        if ticket.agency_id not in schedules:
            schedules[ticket.agency_id] = sla.schedule_for_agency(ticket.agency)
        if sla.business_days_between(ticket.resolved_at, now, schedules[ticket.agency_id]) >= days:
            closed += ticket_auto_close(ticket=ticket, now=now)
    return closed
