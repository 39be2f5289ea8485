"""Every write of the reports: a ticket's facts, the daily rollups, the record of an export.

How the rollups stay current:

1. Every change to a ticket publishes its events (tickets/events.py); reports subscribes to
   them as a task, so after the change commits a worker refreshes the changed tickets. The
   publication is a row of pending work written with the change, so a Redis outage only
   delays the refresh: the periodic drain does it once the broker is back.
2. Refreshing a ticket recomputes all its facts from its source rows (the ticket, its
   holdings, transfers and status events) and compares them with the stored ones: only the
   facts that changed are deleted or written, and the rollup rows of their days move by the
   difference, in the same transaction. So a refresh costs what its tickets changed, never
   the other facts of their days, which grow with the number of tickets behind them. The
   difference is taken from the facts as stored, under the tickets' locks: a task that runs
   twice finds nothing changed the second time, and two workers at once leave the same rows.
3. The nightly rebuild of the last days (`rollups_rebuild_range`) recomputes those days from
   their facts and reports any that had drifted all the same; the `rebuild_rollups` command
   rebuilds any range. A refresh that finds a row already drifted (it would fall below zero)
   recomputes that row's days from their facts there and then.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q

from core.audit import audit_record
from core.pending_work import pending_work_drain
from reports.models import DailyRollup, ReportFact
from service_levels.business_time import always_open
from service_levels.models import Priority
from tickets import sla
from tickets.events import subscriber_topic
from tickets.models import Ticket, TicketEvent, TicketHolding, TicketTransfer

logger = logging.getLogger(__name__)

Kind = ReportFact.Kind
CLOSED_STATUSES = {str(status) for status in Ticket.CLOSED_STATUSES}
SUBSCRIBER = "reports"
# Advisory-lock namespaces: one ticket's facts, one (agency, day)'s rollups.
_TICKET_LOCK = 1 << 56
_DAY_LOCK = 2 << 56
# Each namespace is cut into this many stripes, and a key locks its stripe: a refresh holds
# at most twice this many advisory locks, however many tickets and days it touches. The
# drain that calls it is one transaction, which keeps every lock it took until it commits,
# and PostgreSQL's lock table (max_locks_per_transaction for each connection) is shared by
# every session: a lock per ticket and per day of a batch spanning years used it up.
ADVISORY_LOCK_STRIPES = 32
REFRESH_BATCH = 500
ROLLUP_KEYS_PER_TRANSACTION = 200
ANALYZE_AFTER_DAYS = 7


# -- Refreshing after ticket changes -----------------------------------------------------------


def rollups_refresh_for_events(events, quiet) -> None:
    """The subscriber of ticket events (reports/apps.py): a worker refreshes the facts of the
    tickets they changed, once the change has committed."""
    rollup_refresh_tickets(ticket_ids=sorted({event.ticket_id for event in events}))


def rollups_refresh_pending() -> int:
    """Does every refresh still pending now, rather than when a worker or the periodic drain
    gets to it; returns how many publications it handled."""
    return pending_work_drain(topic=subscriber_topic(SUBSCRIBER), batch=REFRESH_BATCH)


# -- Facts -------------------------------------------------------------------------------------


class Calendars:
    """Schedules and policies, read once per refresh however many tickets share them.

    `preload` reads those of a batch's agencies in a fixed handful of queries; an agency
    not preloaded is read on first use (the seed's in-memory rules answer those calls).
    """

    def __init__(self):
        self._schedules, self._policies, self._policies_read = {}, {}, set()

    def preload(self, agencies: Iterable) -> None:
        agencies = list({agency.pk: agency for agency in agencies}.values())
        missing = [agency for agency in agencies if agency.pk not in self._schedules]
        if missing:
            self._schedules.update(sla.schedules_for_agencies(missing))
        missing = [agency.pk for agency in agencies if agency.pk not in self._policies_read]
        if missing:
            in_force = sla.policies_in_force(missing)
            for agency_id in missing:
                # As policy_for chooses: the agency's own, else the government's default.
                for priority in Priority.values:
                    self._policies[agency_id, priority] = in_force.get(
                        (agency_id, priority)
                    ) or in_force.get((None, priority))
            self._policies_read.update(missing)

    def schedule(self, agency, business_hours: bool):
        if not business_hours:
            return always_open(settings.TIME_ZONE)
        if agency.pk not in self._schedules:
            self._schedules[agency.pk] = sla.schedule_for_agency(agency)
        return self._schedules[agency.pk]

    def policy(self, agency, priority: str):
        if (agency.pk, priority) not in self._policies:
            self._policies[agency.pk, priority] = sla.policy_for(agency, priority)
        return self._policies[agency.pk, priority]


def local_day(moment: datetime, agency) -> date:
    return moment.astimezone(ZoneInfo(agency.time_zone)).date()


def _holding_at(holdings: list[TicketHolding], moment: datetime) -> TicketHolding:
    for holding in reversed(holdings):
        if holding.started_at <= moment:
            return holding
    return holdings[0]


def ticket_facts(
    ticket: Ticket,
    *,
    holdings: list[TicketHolding],
    status_events: list[TicketEvent],
    transfers: list[TicketTransfer],
    calendars: Calendars,
) -> list[ReportFact]:
    """The facts of one ticket, computed from its source rows (unsaved): its holdings and
    transfers (with their agencies) and its status events, each in the order they happened.

    - reported: on the day it was reported, for the agency that first held it;
    - resolved / reopened: each change of status into or out of resolved-or-closed, for the
      agency holding the ticket then;
    - transferred out / in: each transfer, for both agencies, naming the other;
    - first response: for the agency holding the ticket when staff first replied in public,
      the business time from the start of its holding, against its own target;
    - final resolution (a ticket resolved or closed now): for the resolving agency, the
      business time it held the ticket (pauses excluded, as the SLA clock counts it), against
      its own target. Each agency is judged on its own holding, so a ticket that arrives late
      in its life does not count against the receiver.
    """
    if not holdings:  # only a ticket made outside the services has none
        holdings = [
            TicketHolding(ticket=ticket, agency=ticket.agency, started_at=ticket.created_at)
        ]
    current = holdings[-1]

    def fact(kind, holding_agency, moment, **fields) -> ReportFact:
        return ReportFact(
            ticket_id=ticket.pk,
            agency_id=holding_agency.pk,
            day=local_day(moment, holding_agency),
            kind=kind,
            team_id=ticket.team_id if holding_agency.pk == ticket.agency_id else None,
            category_id=ticket.category_id,
            priority=ticket.priority,
            **fields,
        )

    facts = [fact(Kind.CREATED, holdings[0].agency, ticket.created_at)]
    for event in status_events:
        was_closed = event.data.get("old") in CLOSED_STATUSES
        is_closed = event.data.get("new") in CLOSED_STATUSES
        if was_closed != is_closed:
            holding = _holding_at(holdings, event.created_at)
            kind = Kind.RESOLVED if is_closed else Kind.REOPENED
            facts.append(fact(kind, holding.agency, event.created_at))
    for transfer in transfers:
        facts.append(
            fact(Kind.TRANSFER_OUT, transfer.from_agency, transfer.created_at,
                 counterpart_id=transfer.to_agency_id)
        )  # fmt: skip
        facts.append(
            fact(Kind.TRANSFER_IN, transfer.to_agency, transfer.created_at,
                 counterpart_id=transfer.from_agency_id)
        )  # fmt: skip
    if ticket.first_response_at is not None:
        holding = _holding_at(holdings, ticket.first_response_at)
        policy = calendars.policy(holding.agency, ticket.priority)
        schedule = calendars.schedule(holding.agency, policy is None or policy.business_hours)
        # Pauses off, as the ticket's own clock counts it.
        seconds = sla.running_business_seconds(
            holding.started_at, ticket.first_response_at, schedule, status_events, policy
        )
        met = None if policy is None else seconds <= policy.response_minutes * 60
        facts.append(
            fact(Kind.RESPONSE, holding.agency, ticket.first_response_at,
                 business_seconds=seconds, met_target=met)
        )  # fmt: skip
    if ticket.status in CLOSED_STATUSES and ticket.resolved_at is not None:
        # Stopped at resolution, the clock has banked everything: this holding's share is
        # what it used since the holding began.
        seconds = max(ticket.sla_used_seconds - current.used_seconds_at_start, 0)
        policy = ticket.sla_policy
        met = None if policy is None else seconds <= policy.resolution_minutes * 60
        facts.append(
            fact(Kind.RESOLUTION, current.agency, ticket.resolved_at,
                 business_seconds=seconds, met_target=met)
        )  # fmt: skip
    return facts


def _advisory_locks(keys: Iterable[int]) -> None:
    """The stripes of these keys, each once, in one order everywhere."""
    keys = sorted({_stripe(key) for key in keys})
    if keys:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) AS k", [keys])


def _stripe(key: int) -> int:
    """A key's stripe in its namespace (the top byte): the same key, the same stripe."""
    namespace = key >> 56 << 56
    return namespace | ((key - namespace) % ADVISORY_LOCK_STRIPES)


def _day_lock(agency_id: int, day: date) -> int:
    return _DAY_LOCK | (agency_id << 24) | day.toordinal()


def rollup_refresh_tickets(*, ticket_ids: list[int]) -> set[tuple[int, date]]:
    """Replaces the facts of these tickets and brings the rollups of every day they touch up
    to date.

    Returns the (agency id, day) keys of the facts removed and written.
    """
    calendars, touched = Calendars(), set()
    ticket_ids = sorted(set(ticket_ids))
    if len(ticket_ids) > REFRESH_BATCH and connection.in_atomic_block:
        # Every batch's locks are held until the caller commits: taken all at once, in one
        # order, they cannot interleave with another refresh's into a deadlock.
        _advisory_locks(_TICKET_LOCK | ticket_id for ticket_id in ticket_ids)
    for offset in range(0, len(ticket_ids), REFRESH_BATCH):
        touched |= _refresh_batch(ticket_ids[offset : offset + REFRESH_BATCH], calendars)
    return touched


def _by_ticket(rows) -> defaultdict[int, list]:
    grouped = defaultdict(list)
    for row in rows:
        grouped[row.ticket_id].append(row)
    return grouped


# What makes a fact itself: two facts equal on these are the same fact.
FACT_FIELDS = (
    "ticket_id", "agency_id", "day", "kind", "team_id", "category_id", "priority",
    "counterpart_id", "business_seconds", "met_target",
)  # fmt: skip


def _fact_row(fact: ReportFact) -> tuple:
    return tuple(getattr(fact, name) for name in FACT_FIELDS)


@transaction.atomic
def _refresh_batch(ticket_ids: list[int], calendars: Calendars) -> set[tuple[int, date]]:
    """One batch of tickets, a fixed handful of queries whatever its size or the history
    behind it: its facts are recomputed, only those that changed are written, and the
    rollups of their days move by the difference."""
    _advisory_locks(_TICKET_LOCK | ticket_id for ticket_id in ticket_ids)
    stored = defaultdict(list)  # the fact's row -> ids of the stored facts equal to it
    for pk, *row in ReportFact.objects.filter(ticket_id__in=ticket_ids).values_list(
        "pk", *FACT_FIELDS
    ):
        stored[tuple(row)].append(pk)
    tickets = list(
        Ticket.objects.filter(pk__in=ticket_ids)
        .select_related("agency", "sla_policy")
        .defer("subject", "description", "search_public", "search_notes")
    )
    holdings = _by_ticket(
        TicketHolding.objects.filter(ticket_id__in=ticket_ids)
        .select_related("agency")
        .order_by("started_at", "id")
    )
    status_events = _by_ticket(
        TicketEvent.objects.filter(ticket_id__in=ticket_ids, kind=TicketEvent.Kind.STATUS)
        .only("ticket_id", "created_at", "data")
        .order_by("created_at", "id")
    )
    transfers = _by_ticket(
        TicketTransfer.objects.filter(ticket_id__in=ticket_ids)
        .select_related("from_agency", "to_agency")
        .defer("reason")
        .order_by("created_at", "id")
    )
    calendars.preload(
        [ticket.agency for ticket in tickets]
        + [holding.agency for rows in holdings.values() for holding in rows]
    )
    facts = [
        fact
        for ticket in tickets
        for fact in ticket_facts(
            ticket,
            holdings=holdings[ticket.pk],
            status_events=status_events[ticket.pk],
            transfers=transfers[ticket.pk],
            calendars=calendars,
        )
    ]
    added = []
    for fact in facts:
        row = _fact_row(fact)
        if stored.get(row):
            stored[row].pop()  # unchanged: kept as it is
        else:
            added.append(fact)
    removed = {pk: row for row, pks in stored.items() for pk in pks}
    if removed:
        ReportFact.objects.filter(pk__in=list(removed)).delete()
    if added:
        ReportFact.objects.bulk_create(added, batch_size=2000)
    delta = _rollup_delta(removed.values(), (_fact_row(fact) for fact in added))
    _rollups_move(delta)
    return {row[1:3] for row in removed.values()} | {(f.agency_id, f.day) for f in facts}


# Where each fact counts in its day's rollup: a count of DailyRollup by kind, and for the
# judged kinds by whether the target was met (a fact judged by no target counts in none).
COUNT_OF_KIND = {
    Kind.CREATED: "created",
    Kind.RESOLVED: "resolved",
    Kind.REOPENED: "reopened",
    Kind.TRANSFER_IN: "transferred_in",
    Kind.TRANSFER_OUT: "transferred_out",
}
COUNT_OF_JUDGED = {
    (Kind.RESPONSE, True): "response_met",
    (Kind.RESPONSE, False): "response_breached",
    (Kind.RESOLUTION, True): "resolution_met",
    (Kind.RESOLUTION, False): "resolution_breached",
}
# The difference one fact makes to its rollup row: the facts in it, then each count.
DELTA_COLUMNS = ("facts", *DailyRollup.COUNTS)


def _rollup_delta(removed: Iterable[tuple], added: Iterable[tuple]) -> dict[tuple, list[int]]:
    """(agency, day, team, category, priority) -> the change of each of DELTA_COLUMNS, from
    fact rows (FACT_FIELDS) taken away and added; rows whose change is nothing are left out."""
    delta = defaultdict(lambda: [0] * len(DELTA_COLUMNS))
    position = {name: index for index, name in enumerate(DELTA_COLUMNS)}
    for sign, rows in ((-1, removed), (1, added)):
        for _ticket, agency_id, day, kind, team_id, category_id, priority, *rest in rows:
            met_target = rest[-1]
            change = delta[agency_id, day, team_id, category_id, priority]
            change[0] += sign
            name = COUNT_OF_KIND.get(kind) or COUNT_OF_JUDGED.get((kind, met_target))
            if name is not None:
                change[position[name]] += sign
    return {key: change for key, change in delta.items() if any(change)}


def _rollups_move(delta: dict[tuple, list[int]]) -> None:
    """Moves the rollup rows by the facts' difference: one statement updates the rows there
    are and inserts the missing ones, a second removes the rows left with no fact.

    A row that would fall below zero, or a loss from a row that is not there, means the
    rollups had drifted from the facts (a row edited by hand, a team deleted): the days
    concerned are then recomputed from their facts instead, as the nightly rebuild would.
    """
    if not delta:
        return
    keys = sorted({key[:2] for key in delta})
    _advisory_locks(_day_lock(agency_id, day) for agency_id, day in keys)
    rows = list(delta.items())
    columns = list(zip(*(key + tuple(change) for key, change in rows), strict=True))
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_MOVE_ROLLUPS, [list(column) for column in columns])
            emptied = [pk for (pk,) in cursor.fetchall()]
            if emptied:
                cursor.execute(_DELETE_EMPTIED, [emptied, list(Kind.values)])
    except IntegrityError:
        logger.warning("Rollups had drifted from their facts; recomputing %d days", len(keys))
        rollups_recompute(keys=set(keys))


_COUNTS_SQL = ", ".join(DailyRollup.COUNTS)
# Column names from the model, values all parameters.
_MOVE_ROLLUPS = f"""
WITH delta AS (
    SELECT * FROM unnest(
        %s::bigint[], %s::date[], %s::bigint[], %s::bigint[], %s::text[], %s::int[],
        {", ".join(["%s::int[]"] * len(DailyRollup.COUNTS))}
    ) AS d(agency_id, day, team_id, category_id, priority, facts, {_COUNTS_SQL})
),
moved AS (
    UPDATE reports_dailyrollup AS r
    SET {", ".join(f"{name} = r.{name} + d.{name}" for name in DailyRollup.COUNTS)}
    FROM delta AS d
    WHERE r.agency_id = d.agency_id AND r.day = d.day
      AND r.team_id IS NOT DISTINCT FROM d.team_id
      AND r.category_id = d.category_id AND r.priority = d.priority
    RETURNING r.id, r.agency_id, r.day, r.team_id, r.category_id, r.priority,
              {" + ".join(f"r.{name}" for name in DailyRollup.COUNTS)} = 0 AS empty
),
added AS (
    INSERT INTO reports_dailyrollup
        (agency_id, day, team_id, category_id, priority, {_COUNTS_SQL})
    SELECT d.agency_id, d.day, d.team_id, d.category_id, d.priority, {_COUNTS_SQL}
    FROM delta AS d
    WHERE (d.facts > 0 OR {" OR ".join(f"d.{name} <> 0" for name in DailyRollup.COUNTS)})
      AND NOT EXISTS (
        SELECT 1 FROM moved AS m
        WHERE m.agency_id = d.agency_id AND m.day = d.day
          AND m.team_id IS NOT DISTINCT FROM d.team_id
          AND m.category_id = d.category_id AND m.priority = d.priority
      )
)
SELECT id FROM moved WHERE empty
"""  # noqa: S608
# A row whose counts all fell to zero stays only while a fact of its key remains (a first
# response judged by no target counts in none, yet has its row, as a recount would give it).
_DELETE_EMPTIED = """
DELETE FROM reports_dailyrollup AS r
WHERE r.id = ANY(%s) AND NOT EXISTS (
    SELECT 1 FROM reports_reportfact AS f
    WHERE f.agency_id = r.agency_id AND f.kind = ANY(%s) AND f.day = r.day
      AND f.team_id IS NOT DISTINCT FROM r.team_id
      AND f.category_id = r.category_id AND f.priority = r.priority
)
"""


def _keys_condition(keys: Iterable[tuple[int, date]]) -> Q:
    days_by_agency = defaultdict(set)
    for agency_id, day in keys:
        days_by_agency[agency_id].add(day)
    condition = Q(pk__in=[])
    for agency_id, days in days_by_agency.items():
        condition |= Q(agency_id=agency_id, day__in=sorted(days))
    return condition


def _count(kind: str, **extra) -> Count:
    return Count("pk", filter=Q(kind=kind, **extra))


ROLLUP_COUNTS = {
    "created": _count(Kind.CREATED),
    "resolved": _count(Kind.RESOLVED),
    "reopened": _count(Kind.REOPENED),
    "transferred_in": _count(Kind.TRANSFER_IN),
    "transferred_out": _count(Kind.TRANSFER_OUT),
    "response_met": _count(Kind.RESPONSE, met_target=True),
    "response_breached": _count(Kind.RESPONSE, met_target=False),
    "resolution_met": _count(Kind.RESOLUTION, met_target=True),
    "resolution_breached": _count(Kind.RESOLUTION, met_target=False),
}
ROLLUP_KEY = ("agency_id", "day", "team_id", "category_id", "priority")


def rollups_recompute(*, keys: set[tuple[int, date]]) -> int:
    """Rebuilds the rollups of these (agency id, day) keys from the facts; returns the rows.

    A few hundred keys per transaction: each holds a lock on its keys, and PostgreSQL's lock
    table is shared by every session.
    """
    keys, rows = sorted(keys), 0
    for offset in range(0, len(keys), ROLLUP_KEYS_PER_TRANSACTION):
        rows += _recompute_keys(keys[offset : offset + ROLLUP_KEYS_PER_TRANSACTION])
    return rows


@transaction.atomic
def _recompute_keys(keys: list[tuple[int, date]]) -> int:
    _advisory_locks(_day_lock(agency_id, day) for agency_id, day in keys)
    condition = _keys_condition(keys)
    rows = (
        ReportFact.objects.filter(condition)
        .values(*ROLLUP_KEY)
        .annotate(**ROLLUP_COUNTS)
        .order_by()
    )
    DailyRollup.objects.filter(condition).delete()
    created = DailyRollup.objects.bulk_create(DailyRollup(**row) for row in rows)
    return len(created)


# -- Rebuilding a range --------------------------------------------------------------------


def _rollup_snapshot(start: date, end: date) -> dict[tuple[int, date], set[tuple]]:
    snapshot = defaultdict(set)
    for row in DailyRollup.objects.filter(day__range=(start, end)).values_list(
        *ROLLUP_KEY, *DailyRollup.COUNTS
    ):
        snapshot[row[0], row[1]].add(row[2:])
    return snapshot


def rollups_rebuild_range(*, start: date, end: date) -> list[tuple[int, date]]:
    """Recomputes every ticket active in [start, end] and every day of that range.

    Returns the (agency id, day) keys whose rollups had drifted from their source.
    """
    before = _rollup_snapshot(start, end)
    # Local days of any time zone lie within a day of UTC days.
    since = datetime.combine(start - timedelta(days=1), time(), tzinfo=ZoneInfo("UTC"))
    until = datetime.combine(end + timedelta(days=2), time(), tzinfo=ZoneInfo("UTC"))
    ticket_ids = sorted(
        set(
            TicketEvent.objects.filter(created_at__gte=since, created_at__lt=until)
            .values_list("ticket_id", flat=True)
            .distinct()
        )
        | set(
            ReportFact.objects.filter(day__range=(start, end)).values_list("ticket_id", flat=True)
        )
    )
    keys = rollup_refresh_tickets(ticket_ids=ticket_ids)
    # The refresh moves rows by what changed; every day of the range is then recomputed from
    # its facts, which mends any drift. Days whose rows all vanished (or never should have
    # existed) count too.
    in_range = {key for key in set(before) | keys if start <= key[1] <= end}
    rollups_recompute(keys=in_range)
    if (end - start).days > ANALYZE_AFTER_DAYS:
        # A long rebuild replaces most rows at once: the planner's statistics would otherwise
        # lag until autovacuum comes round, and it would scan whole tables meanwhile.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE reports_reportfact, reports_dailyrollup")
    after = _rollup_snapshot(start, end)
    drifted = sorted(key for key in set(before) | set(after) if before[key] != after[key])
    if drifted:
        logger.warning("Rollups had drifted on %d agency days: %s", len(drifted), drifted[:20])
    return drifted


def rollups_rebuild_recent(*, today: date | None = None, days: int = 2) -> list[tuple[int, date]]:
    """The nightly task: the last `days` days, up to today, in the government's time zone."""
    today = today or datetime.now(ZoneInfo(settings.TIME_ZONE)).date()
    return rollups_rebuild_range(start=today - timedelta(days=days), end=today)


# -- Exports -----------------------------------------------------------------------------------


@transaction.atomic
def report_export_record(*, actor, agency, report: str, table: str, fmt: str, start, end):
    """Who downloaded which table of which dashboard, for which period."""
    return audit_record(
        actor=actor,
        action="report.export",
        target=f"{report}:{table}.{fmt}",
        agency=agency,
        report=report,
        table=table,
        format=fmt,
        start=start.isoformat(),
        end=end.isoformat(),
    )
