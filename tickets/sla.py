"""The SLA clock of a ticket.

The clock counts business time in the handling agency's calendar (or around the clock, as the
policy says). It keeps two numbers on the ticket: `sla_used_seconds`, the business time used
before `sla_running_since`, and `sla_running_since`, when it last started counting (empty
while stopped). Everything else follows from them:

- a due time is `add_business_time(running_since, target - used)`;
- pausing adds the time since `running_since` to `used` and stops the clock, so resuming
  later pushes the due times out by exactly the business time spent paused;
- a transfer banks the time used under the old calendar and restarts counting under the new
  agency's calendar and policy: the requester's clock never restarts;
- a priority change recomputes the due times from the same numbers, that is from the start.

These functions change the locked ticket in memory, write the SLA events, and return the
names of the fields they changed; the calling service saves them in its transaction.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Q

from agencies.models import Agency
from service_levels.business_time import (
    Schedule,
    Timeline,
    add_business_time,
    always_open,
    business_time_between,
    open_intervals,
)
from service_levels.models import BusinessCalendar, EscalationLevel, Holiday, SLAPolicy
from tickets.models import Ticket, TicketEvent, TicketHolding

CLOCK_FIELDS = [
    "sla_policy",
    "response_due_at",
    "resolution_due_at",
    "sla_used_seconds",
    "sla_running_since",
    "sla_paused_since",
    "response_breached",
    "resolution_breached",
    "escalation_level",
    "escalated_level_ids",
    "next_escalation_at",
]


# -- Calendars and policies ------------------------------------------------------------------


def schedule_for_agency(agency: Agency) -> Schedule:
    """The agency's working hours, with national holidays and its own."""
    return schedules_for_agencies([agency])[agency.pk]


def schedules_for_agencies(agencies: Iterable[Agency]) -> dict[int, Schedule]:
    """The schedules of many agencies by id, in two queries whatever their number: for the
    escalation sweep, which reads a batch of tickets of many agencies at once."""
    agencies = list(agencies)
    calendars = {
        c.agency_id: c
        for c in BusinessCalendar.objects.filter(
            Q(agency__in=[a.pk for a in agencies]) | Q(agency__isnull=True)
        )
    }
    holidays_of: dict[int, list[Holiday]] = {c.pk: [] for c in calendars.values()}
    for holiday in Holiday.objects.filter(calendar__in=calendars.values()):
        holidays_of[holiday.calendar_id].append(holiday)
    national = calendars.get(None)
    national_holidays = holidays_of[national.pk] if national else []
    schedules = {}
    for agency in agencies:
        calendar = calendars.get(agency.pk) or national
        if calendar is None:
            schedules[agency.pk] = Schedule(
                agency.time_zone, dict.fromkeys(range(5), ((8 * 60, 17 * 60),))
            )
            continue
        # The national holidays, and the agency's own when it keeps its own calendar.
        holidays = national_holidays + (
            holidays_of[calendar.pk] if calendar is not national else []
        )
        weekly = {
            int(day): tuple(tuple(interval) for interval in intervals)
            for day, intervals in calendar.weekly_hours.items()
            if intervals
        }
        # One time zone per agency, its own: the hours of a calendar (its own, or the
        # national one it inherits) are local times in the agency's zone.
        schedules[agency.pk] = Schedule(
            agency.time_zone,
            weekly,
            holidays=frozenset(h.date for h in holidays if not h.recurs_yearly),
            yearly_holidays=frozenset(
                (h.date.month, h.date.day) for h in holidays if h.recurs_yearly
            ),
        )
    return schedules


def policy_for(agency: Agency, priority: str) -> SLAPolicy | None:
    """The agency's policy for the priority, else the government's default."""
    policies = SLAPolicy.objects.filter(
        Q(agency=agency) | Q(agency__isnull=True), priority=priority
    ).prefetch_related("levels")
    by_agency = {p.agency_id: p for p in policies}
    return by_agency.get(agency.pk) or by_agency.get(None)


@dataclass
class Clock:
    policy: SLAPolicy
    schedule: Schedule
    # The schedule laid out once for a batch of tickets (ClockCalendars): the same answers,
    # found by bisection instead of a walk through the calendar for each.
    timeline: Timeline | None = None

    def add(self, start: datetime, seconds: float) -> datetime:
        amount = timedelta(seconds=max(seconds, 0))
        if self.timeline is not None:
            return self.timeline.add(start, amount)
        return add_business_time(start, amount, self.schedule)

    def between(self, start: datetime, end: datetime) -> int:
        return int(business_time_between(start, end, self.schedule).total_seconds())


def clock_for(ticket: Ticket, schedules: Mapping[int, Schedule] | None = None) -> Clock | None:
    """The ticket's clock; `schedules` (agency id to schedule) spares the queries of a
    schedule already read, as the escalation sweep does for a whole batch."""
    if ticket.sla_policy is None:
        return None
    policy = ticket.sla_policy
    if not policy.business_hours:
        schedule = always_open(settings.TIME_ZONE)
    elif schedules is not None and ticket.agency_id in schedules:
        schedule = schedules[ticket.agency_id]
    else:
        schedule = schedule_for_agency(ticket.agency)
    return Clock(policy, schedule)


class ClockCalendars:
    """The clocks of a batch of tickets, with each calendar read and laid out once: the
    agencies' schedules in two queries, and one timeline per distinct schedule (agencies that
    keep the same hours in the same zone share it; one more around the clock) for every ticket
    that counts in it. For one batch or one sweep, in one thread.
    """

    def __init__(self):
        self.schedules: dict[int, Schedule] = {}
        self._timelines: dict[tuple, Timeline] = {}

    def load(self, agencies: Iterable[Agency]) -> None:
        """Reads the schedules of the agencies not read yet."""
        missing = {agency.pk: agency for agency in agencies if agency.pk not in self.schedules}
        if missing:
            self.schedules.update(schedules_for_agencies(missing.values()))

    def clock(self, policy: SLAPolicy, agency: Agency) -> Clock:
        """The clock of `policy` for a ticket of `agency`: as `clock_for` gives it."""
        if not policy.business_hours:
            schedule = None
        else:
            if agency.pk not in self.schedules:
                self.load([agency])
            schedule = self.schedules[agency.pk]
        timeline = self._timeline(schedule)
        return Clock(policy, schedule or timeline.schedule, timeline)

    def clock_for(self, ticket: Ticket) -> Clock | None:
        """`clock_for(ticket)`, from the calendars laid out."""
        if ticket.sla_policy is None:
            return None
        return self.clock(ticket.sla_policy, ticket.agency)

    def reach_back(self, tickets: Iterable[Ticket]) -> None:
        """Lays out each timeline from the earliest start of the clocks of these tickets (their
        policies read), so that none is laid out again for a start earlier than the first."""
        earliest: dict[int, tuple[Timeline, datetime]] = {}
        for ticket in tickets:
            if ticket.sla_policy is None or ticket.sla_running_since is None:
                continue
            timeline = self.clock_for(ticket).timeline
            _, start = earliest.get(id(timeline), (timeline, ticket.sla_running_since))
            earliest[id(timeline)] = (timeline, min(start, ticket.sla_running_since))
        for timeline, start in earliest.values():
            timeline.reach_back(start)

    def _timeline(self, schedule: Schedule | None) -> Timeline:
        # A schedule is known by what it says, not by whose it is.
        key = (
            ()
            if schedule is None
            else (
                schedule.time_zone,
                tuple(sorted(schedule.weekly.items())),
                schedule.holidays,
                schedule.yearly_holidays,
            )
        )
        timeline = self._timelines.get(key)
        if timeline is None:
            timeline = self._timelines[key] = Timeline(schedule or always_open(settings.TIME_ZONE))
        return timeline


# -- Computing -------------------------------------------------------------------------------


def _due(clock: Clock, ticket: Ticket, target_minutes: int, previous: datetime | None):
    remaining = target_minutes * 60 - ticket.sla_used_seconds
    if remaining <= 0:
        # The target was already used up. Under the same policy the old due time is when
        # that happened; under a new one (a priority change, a transfer) it was at the
        # latest now, when the clock starts again.
        return previous or ticket.sla_running_since
    return clock.add(ticket.sla_running_since, remaining)


def levels_of(ticket: Ticket) -> list[EscalationLevel]:
    """The policy's levels in the order they fall due.

    Both clocks spend the same business time, so that order is the order of each level's
    threshold in business seconds, whatever pauses come.
    """
    policy = ticket.sla_policy

    def threshold(level: EscalationLevel) -> float:
        target = (
            policy.response_minutes
            if level.clock == EscalationLevel.Clock.RESPONSE
            else policy.resolution_minutes
        )
        return target * level.percent

    return sorted(policy.levels.all(), key=lambda level: (threshold(level), level.pk))


def level_moment(clock: Clock, ticket: Ticket, level: EscalationLevel) -> datetime | None:
    if level.clock == EscalationLevel.Clock.RESPONSE:
        if ticket.first_response_at is not None:
            return None
        target = clock.policy.response_minutes
    else:
        target = clock.policy.resolution_minutes
    return clock.add(
        ticket.sla_running_since, target * 60 * level.percent / 100 - ticket.sla_used_seconds
    )


def levels_ahead(ticket: Ticket) -> list[EscalationLevel]:
    """The policy's levels the ticket has not reached, in the order they fall due.

    A level is known by its id: one added to the policy is reached when its moment comes (at
    the next sweep, if that moment has passed), one removed is simply not reached, and the
    others keep their place whatever is added or removed around them.
    """
    reached = set(ticket.escalated_level_ids)
    return [level for level in levels_of(ticket) if level.pk not in reached]


def next_escalation(clock: Clock, ticket: Ticket) -> datetime | None:
    if ticket.sla_running_since is None:
        return None
    moments = [level_moment(clock, ticket, level) for level in levels_ahead(ticket)]
    moments = [m for m in moments if m is not None]
    return min(moments) if moments else None


def escalation_reached(ticket: Ticket, level: EscalationLevel) -> None:
    ticket.escalated_level_ids = [*ticket.escalated_level_ids, level.pk]
    ticket.escalation_level = len(ticket.escalated_level_ids)


def escalation_restart(ticket: Ticket) -> None:
    """A new policy (a new priority, another agency): none of its levels is reached yet."""
    ticket.escalated_level_ids = []
    ticket.escalation_level = 0


def _recompute(ticket: Ticket, clock: Clock, actor, reason: str, now: datetime) -> None:
    old = (ticket.response_due_at, ticket.resolution_due_at)
    same_policy = reason == "resumed"
    if ticket.sla_running_since is not None:
        if ticket.first_response_at is None:
            ticket.response_due_at = _due(
                clock,
                ticket,
                clock.policy.response_minutes,
                ticket.response_due_at if same_policy else None,
            )
        ticket.resolution_due_at = _due(
            clock,
            ticket,
            clock.policy.resolution_minutes,
            ticket.resolution_due_at if same_policy else None,
        )
    ticket.next_escalation_at = next_escalation(clock, ticket)
    if old != (ticket.response_due_at, ticket.resolution_due_at):
        TicketEvent.objects.create(
            ticket=ticket,
            kind=TicketEvent.Kind.SLA,
            actor=actor,
            is_public=False,
            created_at=now,
            data={
                "reason": reason,
                "policy": str(clock.policy),
                "response_due_at": _iso(ticket.response_due_at),
                "resolution_due_at": _iso(ticket.resolution_due_at),
            },
        )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _bank(ticket: Ticket, clock: Clock, now: datetime) -> None:
    """Adds the business time since the clock last started to what it has used."""
    if ticket.sla_running_since is not None:
        ticket.sla_used_seconds += clock.between(ticket.sla_running_since, now)
        ticket.sla_running_since = None


# -- Events in a ticket's life ---------------------------------------------------------------


def clock_start(ticket: Ticket, now: datetime) -> list[str]:
    """On creation: the policy, the due times, the first holding."""
    TicketHolding.objects.create(ticket=ticket, agency=ticket.agency, started_at=now)
    ticket.sla_policy = policy_for(ticket.agency, ticket.priority)
    ticket.sla_running_since = now
    clock = clock_for(ticket)
    if clock is not None:
        _recompute(ticket, clock, None, "created", now)
    return CLOCK_FIELDS


def clock_status_changed(ticket: Ticket, old: str, new: str, now: datetime, actor) -> list[str]:
    """Pauses, resumes or stops the clock as the status says; judges the targets on resolution."""
    clock = clock_for(ticket) or _bare_clock(ticket)
    used_now = _used_at(ticket, clock, now)
    stopped_before = _is_stopped(clock.policy, old)
    stopped_after = _is_stopped(clock.policy, new)
    if stopped_after and not stopped_before:
        _bank(ticket, clock, now)
        ticket.next_escalation_at = None
    elif stopped_before and not stopped_after:
        ticket.sla_running_since = now
        ticket.sla_paused_since = None
        if ticket.sla_policy is not None:
            _recompute(ticket, clock, actor, "resumed", now)
    if stopped_after:
        ticket.sla_paused_since = (
            (ticket.sla_paused_since or now) if new in _pausing(clock.policy) else None
        )
    if new in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED) and ticket.sla_policy is not None:
        # Judged on business time used, so a pause does not count against the agency.
        policy = ticket.sla_policy
        if used_now > policy.resolution_minutes * 60:
            ticket.resolution_breached = True
        if ticket.first_response_at is None and used_now > policy.response_minutes * 60:
            ticket.response_breached = True
    return CLOCK_FIELDS


def _bare_clock(ticket: Ticket) -> Clock:
    """With no policy, the clock still keeps time in the agency's calendar, so that a policy
    that comes later (with a new priority) counts only the time the ticket was worked."""
    return Clock(
        SLAPolicy(response_minutes=1, resolution_minutes=1), schedule_for_agency(ticket.agency)
    )


def _used_at(ticket: Ticket, clock: Clock, now: datetime) -> int:
    used = ticket.sla_used_seconds
    if ticket.sla_running_since is not None:
        used += clock.between(ticket.sla_running_since, now)
    return used


def _pausing(policy: SLAPolicy | None) -> tuple[str, ...]:
    return (
        (Ticket.Status.PENDING, Ticket.Status.ON_HOLD)
        if policy is not None and policy.pause_on_hold
        else (Ticket.Status.PENDING,)
    )


def _is_stopped(policy: SLAPolicy, status: str) -> bool:
    return status in (*_pausing(policy), Ticket.Status.RESOLVED, Ticket.Status.CLOSED)


def clock_first_response(ticket: Ticket, now: datetime) -> list[str]:
    clock = clock_for(ticket)
    if clock is not None:
        # Judged on business time used: a reply while the clock is paused is not late.
        if _used_at(ticket, clock, now) > clock.policy.response_minutes * 60:
            ticket.response_breached = True
        ticket.next_escalation_at = next_escalation(clock, ticket)
    return ["response_breached", "next_escalation_at"]


def clock_priority_changed(ticket: Ticket, now: datetime, actor) -> list[str]:
    """A new priority may bring a new policy; due times are recomputed from the start."""
    clock = clock_for(ticket) or _bare_clock(ticket)
    running = ticket.sla_running_since is not None
    _bank(ticket, clock, now)
    if running:
        ticket.sla_running_since = now
    ticket.sla_policy = policy_for(ticket.agency, ticket.priority)
    escalation_restart(ticket)
    clock = clock_for(ticket)
    if clock is not None:
        _recompute(ticket, clock, actor, "priority changed", now)
    return CLOCK_FIELDS


def clock_transferred(ticket: Ticket, from_agency: Agency, now: datetime, actor) -> list[str]:
    """Banks the time used at the old agency, and closes its holding; the receiver's calendar
    and policy apply from now on, without restarting the requester's clock."""
    # ticket.agency is already the receiver: count the time so far in the sender's calendar.
    policy = ticket.sla_policy
    if policy is not None and not policy.business_hours:
        old_clock = clock_for(ticket)
    else:
        old_clock = Clock(policy or _bare_clock(ticket).policy, schedule_for_agency(from_agency))
    running = ticket.sla_running_since is not None
    _bank(ticket, old_clock, now)
    holding = TicketHolding.objects.filter(ticket=ticket, ended_at__isnull=True).first()
    if holding is not None:
        holding.ended_at = now
        holding.business_seconds = ticket.sla_used_seconds - holding.used_seconds_at_start
        holding.save(update_fields=["ended_at", "business_seconds"])
    TicketHolding.objects.create(
        ticket=ticket,
        agency=ticket.agency,
        started_at=now,
        used_seconds_at_start=ticket.sla_used_seconds,
    )
    ticket.sla_policy = policy_for(ticket.agency, ticket.priority)
    escalation_restart(ticket)
    if running:
        ticket.sla_running_since = now
    clock = clock_for(ticket)
    if clock is not None:
        _recompute(ticket, clock, actor, "transferred", now)
    return CLOCK_FIELDS


def business_seconds_used(ticket: Ticket, now: datetime) -> int:
    return _used_at(ticket, clock_for(ticket) or _bare_clock(ticket), now)


def business_days_between(start: datetime, end: datetime, schedule: Schedule) -> int:
    """Open days that began after `start`'s day and have begun by `end`."""
    start_day: date = start.astimezone(schedule.zone).date()
    days = set()
    for open_start, _open_end in open_intervals(schedule, start):
        if open_start > end:
            break
        day = open_start.astimezone(schedule.zone).date()
        if day > start_day:
            days.add(day)
    return len(days)


# -- Rules changed ---------------------------------------------------------------------------


def clock_rules_changed(
    ticket: Ticket, policy: SLAPolicy | None, schedule: Schedule, now: datetime
) -> TicketEvent | None:
    """Recomputes an open ticket's due times and next escalation under the rules in force
    (`policy`, the agency's `schedule`), after a calendar, its holidays or hours, a policy or
    the agency's time zone changed. Changes the ticket in memory and returns its SLA event,
    not saved, when a due time moved; None when nothing did, so that running it again
    changes nothing.

    The business time already used stays used: it was counted under the rules of its day. A
    breach already recorded stays recorded; a due time already passed under the old rules
    stays where it was unless the new rules put it earlier still.
    """
    old = (ticket.response_due_at, ticket.resolution_due_at)
    same_policy = policy is None or policy.pk == ticket.sla_policy_id
    if policy is not None:
        ticket.sla_policy = policy  # read with its levels for the whole batch
    if not same_policy:
        # The agency made a policy of its own for the priority, or dropped it.
        escalation_restart(ticket)
    if ticket.sla_policy is None or ticket.sla_running_since is None:
        # No service level, or paused: due times are set again when the clock restarts.
        return None
    policy = ticket.sla_policy
    clock = Clock(policy, schedule if policy.business_hours else always_open(settings.TIME_ZONE))

    def due(target_minutes: int, previous: datetime | None) -> datetime:
        remaining = target_minutes * 60 - ticket.sla_used_seconds
        if remaining > 0:
            return clock.add(ticket.sla_running_since, remaining)
        # Used up before the clock last started: by then at the latest.
        if same_policy and previous is not None:
            return min(previous, ticket.sla_running_since)
        return ticket.sla_running_since

    if ticket.first_response_at is None:
        ticket.response_due_at = due(policy.response_minutes, ticket.response_due_at)
    ticket.resolution_due_at = due(policy.resolution_minutes, ticket.resolution_due_at)
    ticket.next_escalation_at = next_escalation(clock, ticket)
    if old == (ticket.response_due_at, ticket.resolution_due_at):
        return None
    return TicketEvent(
        ticket=ticket,
        kind=TicketEvent.Kind.SLA,
        actor=None,
        is_public=False,
        created_at=now,
        data={
            "reason": "rules changed",
            "policy": str(policy),
            "response_due_at": _iso(ticket.response_due_at),
            "resolution_due_at": _iso(ticket.resolution_due_at),
            "moved_from": {
                "response_due_at": _iso(old[0]),
                "resolution_due_at": _iso(old[1]),
            },
        },
    )


def policies_in_force(agency_ids: Iterable[int]) -> dict[tuple[int | None, str], SLAPolicy]:
    """Every policy of these agencies and the defaults, with their levels, by (agency id or
    None, priority): two queries for a whole batch of tickets."""
    policies = SLAPolicy.objects.filter(
        Q(agency__in=list(agency_ids)) | Q(agency__isnull=True)
    ).prefetch_related("levels")
    return {(policy.agency_id, policy.priority): policy for policy in policies}


# -- Figures ---------------------------------------------------------------------------------


def running_business_seconds(
    start: datetime,
    end: datetime,
    schedule: Schedule,
    status_events: Iterable[TicketEvent],
    policy: SLAPolicy | None,
) -> int:
    """The business time between two instants while the ticket's clock ran, as the clock
    counts it: less the stretches its status stopped it (waiting for the requester, on hold
    where the policy pauses then, resolved or closed). `status_events` are the ticket's
    status events in the order they happened; the dashboards' figures use it, so that they
    and the ticket agree."""
    if end <= start:
        return 0
    stops = (*_pausing(policy), Ticket.Status.RESOLVED, Ticket.Status.CLOSED)
    status_events = list(status_events)
    changes = [(event.created_at, event.data.get("new")) for event in status_events]
    status = status_events[0].data.get("old") if status_events else Ticket.Status.NEW
    total, cursor = timedelta(0), start
    for moment, new in changes:
        if moment <= start:
            status = new
            continue
        if moment >= end:
            break
        if status not in stops:
            total += business_time_between(cursor, moment, schedule)
        cursor, status = moment, new
    if status not in stops:
        total += business_time_between(cursor, end, schedule)
    return int(total.total_seconds())
