"""The escalation sweep and the auto-close of resolved tickets: what beat runs every minute.

The sweep reads only tickets whose `next_escalation_at` has come (an indexed column), in
batches, locking each batch with SKIP LOCKED so that two sweeps at once share the work instead
of doing it twice. Each level is taken by compare-and-set on `escalation_level`, so running the
sweep twice escalates nothing twice. A ticket that fails is logged and retried later; it never
stops the sweep.
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from agencies.models import EscalationLevel
from notifications.services import notify_ticket_event
from tickets import sla
from tickets.models import Priority, Ticket, TicketEvent

logger = logging.getLogger(__name__)

SWEEP_BATCH = 200
RETRY_FAILED_AFTER = timedelta(minutes=15)
PRIORITY_UP = {Priority.P4: Priority.P3, Priority.P3: Priority.P2, Priority.P2: Priority.P1}


def escalation_sweep(*, now: datetime | None = None, batch: int = SWEEP_BATCH) -> int:
    """Escalates every ticket that is due; returns how many levels it applied."""
    now = now or timezone.now()
    applied = 0
    while True:
        with transaction.atomic():
            due = list(
                Ticket.objects.filter(next_escalation_at__lte=now)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("sla_policy", "agency", "team", "assignee")
                .order_by("next_escalation_at")[:batch]
            )
            for ticket in due:
                try:
                    with transaction.atomic():
                        applied += _escalate(ticket, now)
                except Exception:
                    logger.exception("Escalating %s failed; retrying later", ticket.reference)
                    Ticket.objects.filter(pk=ticket.pk).update(
                        next_escalation_at=now + RETRY_FAILED_AFTER
                    )
        if len(due) < batch:
            return applied


def _escalate(ticket: Ticket, now: datetime) -> int:
    clock = sla.clock_for(ticket)
    if clock is None or ticket.sla_running_since is None:
        Ticket.objects.filter(pk=ticket.pk).update(next_escalation_at=None)
        return 0
    levels = sla.levels_of(ticket)
    applied = 0
    while ticket.escalation_level < len(levels):
        level = levels[ticket.escalation_level]
        moment = sla.level_moment(clock, ticket, level)
        if moment is not None and moment > now:
            break
        taken = Ticket.objects.filter(
            pk=ticket.pk, escalation_level=ticket.escalation_level
        ).update(escalation_level=ticket.escalation_level + 1)
        if taken != 1:
            return applied  # another sweep took this level
        ticket.escalation_level += 1
        if moment is not None:  # None: a response level after the response came; skip it
            _apply(ticket, level, now)
            applied += 1
    ticket.next_escalation_at = sla.next_escalation(clock, ticket)
    ticket.save(
        update_fields=[
            "next_escalation_at",
            "response_breached",
            "resolution_breached",
            "priority",
            "assignee",
        ]
    )
    return applied


def _apply(ticket: Ticket, level: EscalationLevel, now: datetime) -> None:
    data = {
        "level": ticket.escalation_level,
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
    event = TicketEvent.objects.create(
        ticket=ticket,
        kind=TicketEvent.Kind.ESCALATION,
        actor=None,
        is_public=False,
        created_at=now,
        data=data,
    )
    notify_ticket_event(event)


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
