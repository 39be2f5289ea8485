"""Open tickets follow their rules when the rules change.

A change to a calendar, its holidays or hours, a policy, or an agency's time zone records an
`SLARecompute` and a pending-work row of the topic below, in the change's transaction
(service_levels.services, agencies.services). After the commit a worker takes it:

1. It locks the recompute and the next batch of the scope's open tickets by id (the
   agency's, or every agency's for a national change), with the rules in force read once
   for the batch.
2. It recomputes each ticket's due times and next escalation (tickets.sla.clock_rules_changed),
   saves the batch in one update and records one SLA event per ticket whose due time moved.
3. It moves the recompute's cursor to the batch's last ticket and, if the batch was full,
   records the next batch as new pending work, drained by its own task in its own
   transaction: however many open tickets, each step is bounded.

A batch whose cursor no longer matches was done already: nothing happens twice. Running the
whole pass again finds nothing to move.
"""

from django.db import transaction
from django.utils import timezone

from agencies.models import Agency
from core.bulk import rows_insert, rows_update
from core.pending_work import Run, pending_work_handler, pending_work_record
from service_levels.models import BusinessCalendar, SLARecompute
from service_levels.services import RECOMPUTE_TOPIC
from tickets import sla
from tickets.events import events_publish
from tickets.models import Ticket, TicketEvent

RECOMPUTE_BATCH = 500


def sla_recompute_step(payload: dict, *, batch: int | None = None) -> int:
    """Does one batch of a recompute; returns how many tickets it checked.

    `payload` names the recompute and the cursor it expects: {"recompute": id, "after": id}.
    A change made below service_levels (an agency's time zone) names the agency instead,
    {"agency": id, "reason": ...}, and the recompute is recorded here.
    """
    batch = batch or RECOMPUTE_BATCH
    now = timezone.now()
    with transaction.atomic():
        if "recompute" not in payload:
            recompute = _recompute_for_agency(payload, now)
            if recompute is None:
                return 0
        else:
            recompute = (
                SLARecompute.objects.select_for_update()
                .filter(pk=payload["recompute"], after_ticket=payload.get("after", 0))
                .exclude(state=SLARecompute.State.DONE)
                .first()
            )
            if recompute is None:  # done already, or this batch was
                return 0
        tickets = Ticket.objects.open().filter(pk__gt=recompute.after_ticket)
        if recompute.agency_id is not None:
            tickets = tickets.filter(agency_id=recompute.agency_id)
        tickets = list(
            tickets.select_for_update(of=("self",))
            .select_related("agency", "sla_policy")
            .order_by("pk")[:batch]
        )
        events = _recompute_tickets(tickets, now)
        recompute.checked += len(tickets)
        recompute.moved += len(events)
        if tickets:
            recompute.after_ticket = tickets[-1].pk
        if len(tickets) < batch:
            recompute.state, recompute.finished_at = SLARecompute.State.DONE, now
        else:
            recompute.state = SLARecompute.State.RUNNING
            pending_work_record(
                items=[
                    (
                        RECOMPUTE_TOPIC,
                        {"recompute": recompute.pk, "after": recompute.after_ticket},
                        Run.TASK,
                    )
                ]
            )
        recompute.save(update_fields=["state", "finished_at", "after_ticket", "checked", "moved"])
    return len(tickets)


def _recompute_for_agency(payload: dict, now) -> SLARecompute | None:
    agency = Agency.objects.filter(pk=payload.get("agency")).first()
    if agency is None:
        return None
    # The agency's calendar row follows the agency's time zone, the one in force.
    BusinessCalendar.objects.filter(agency=agency).exclude(time_zone=agency.time_zone).update(
        time_zone=agency.time_zone
    )
    return SLARecompute.objects.create(
        agency=agency,
        reason=str(payload.get("reason", "time_zone"))[:40],
        state=SLARecompute.State.RUNNING,
        requested_at=now,
    )


def _recompute_tickets(tickets: list[Ticket], now) -> list[TicketEvent]:
    """Recomputes a locked batch and saves it; returns the events of the tickets that moved."""
    if not tickets:
        return []
    agencies = {ticket.agency_id: ticket.agency for ticket in tickets}
    schedules = sla.schedules_for_agencies(agencies.values())
    policies = sla.policies_in_force(agencies)
    events = []
    for ticket in tickets:
        # Each ticket's clock walks its own few days of the calendar: the open tickets of a
        # batch started over years, so a calendar laid out once (the sweep's) would span them.
        policy = policies.get((ticket.agency_id, ticket.priority)) or policies.get(
            (None, ticket.priority)
        )
        event = sla.clock_rules_changed(ticket, policy, schedules[ticket.agency_id], now)
        if event is not None:
            events.append(event)
    # One statement each, as bulk_create and bulk_update without their cost in Python.
    rows_insert(events)
    rows_update(
        tickets,
        [
            "sla_policy",
            "response_due_at",
            "resolution_due_at",
            "escalation_level",
            "escalated_level_ids",
            "next_escalation_at",
        ],
    )
    # Nobody waits on it: the figures follow on a worker.
    events_publish(events, run=Run.TASK)
    return events


pending_work_handler(RECOMPUTE_TOPIC, sla_recompute_step)
