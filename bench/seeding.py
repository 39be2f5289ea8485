"""A whole government for the benchmark: 60 agencies, 1,500 agents, 60,000 requesters and N
tickets over three years, written with PostgreSQL COPY.

Each ticket's life is a `Story`: the moments it was reported, answered, paused, transferred,
resolved and closed. `play` runs a story through the application's own rules: the SLA clock
of tickets/sla.py, `ticket_set_status` and `team_for` of tickets/services.py, `event_record`
of tickets/events.py, the escalation levels of tickets/escalation.py. Every change passes
`quiet=Quiet.ALL`, so nothing is published: nobody is told, no figure is refreshed, and the
seed builds the dashboards' facts itself at the end. The rules run in memory, with the few
database calls they make (saving an event or a holding, reading a calendar or a policy)
answered from memory (`offline_rules`), so that a million tickets take minutes, and every SLA
field is what the services would have written. The facts come from the reports app's own
`ticket_facts`, called on each played ticket the same way. tests/bench/test_seed_bench.py
replays stories through the real services, refreshes the facts through the reports app, and
compares.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import random
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import time_machine
from django.contrib.auth.hashers import make_password
from django.db import connection, connections, transaction
from django.utils import timezone

from accounts.models import Membership, Role, User
from agencies.models import Agency, AgencyDomain, Team
from service_levels.models import BusinessCalendar, EscalationLevel, Holiday, SLAPolicy
from tickets import escalation, sla
from tickets import events as ticket_events
from tickets.events import Quiet, event_record
from tickets.models import Category, Ticket, TicketEvent, priority_for
from tickets.services import team_for, ticket_set_status

AGENCY_COUNT = 60
AGENTS_PER_AGENCY = 25
REQUESTERS_PER_AGENCY = 1000
YEARS = 3
# Every bench person has this password; it is hashed once and the hash reused.
BENCH_PASSWORD = "govdesk-bench"  # noqa: S105 - a benchmark database, never production
SEED_TABLE = "bench_seed"
# One ticket in this many is a long conversation (about 50 events), for the ticket page.
LONG_STORY_EVERY = 2000
CHUNK = 5000
EMAIL_DOMAIN = "gov.example"

Status = Ticket.Status

FIRST_AGENCIES = [
    ("MOF", "Ministry of Finance", Agency.Kind.MINISTRY),
    ("MOH", "Ministry of Health", Agency.Kind.MINISTRY),
    ("MOE", "Ministry of Education", Agency.Kind.MINISTRY),
    ("NICTA", "National ICT Agency", Agency.Kind.SHARED_SERVICE),
    ("NEC", "National Elections Commission", Agency.Kind.COMMISSION),
]
TEAM_NAMES = ["Service desk", "Desktop support", "Network", "Applications", "Security"]
TIME_ZONES = ["Africa/Monrovia", "Africa/Monrovia", "Africa/Monrovia", "Europe/Paris"]
NATIONAL_HOLIDAYS = [(1, 1), (2, 11), (3, 15), (5, 14), (7, 26), (8, 24), (11, 29), (12, 25)]
OFFICE_HOURS = {str(day): [[8 * 60, 17 * 60]] for day in range(5)}
SPLIT_HOURS = {str(day): [[8 * 60, 12 * 60], [13 * 60, 17 * 60]] for day in range(5)}
DEFAULT_POLICIES = [("P1", 30, 240, False), ("P2", 60, 480, True),
                    ("P3", 240, 1440, True), ("P4", 480, 2700, True)]  # fmt: skip
ESCALATION = [
    (EscalationLevel.Clock.RESOLUTION, 75, EscalationLevel.Notify.ASSIGNEE_OR_TEAM, False),
    (EscalationLevel.Clock.RESOLUTION, 100, EscalationLevel.Notify.TEAM_LEAD_AND_ADMINS, True),
    (EscalationLevel.Clock.RESPONSE, 100, EscalationLevel.Notify.TEAM, True),
]
CATALOGUE = [
    # slug, name, handled by (None: the requester's agency), team index, impact, urgency, weight
    ("email", "E-mail", "NICTA", 2, "medium", "high", 18),
    ("network", "Network and internet", "NICTA", 2, "medium", "medium", 12),
    ("computer", "Computer and printer", None, 1, "low", "medium", 26),
    ("accounts", "Accounts and passwords", None, 0, "low", "high", 18),
    ("payroll", "Payroll", "MOF", 3, "medium", "high", 6),
    ("finance", "Financial management", "MOF", 3, "medium", "medium", 4),
    ("software", "Software and licences", None, 3, "low", "low", 8),
    ("security", "Security incident", None, 4, "high", "high", 2),
]
OWN_SYSTEM_WEIGHT = 6
SUBJECTS = {
    "email": ["Cannot send e-mail to outside addresses", "Mailbox full",
              "Shared mailbox missing", "E-mail not arriving on phone"],
    "network": ["No internet on the second floor", "Wi-Fi keeps disconnecting",
                "VPN will not connect", "Very slow network"],
    "computer": ["Printer offline", "Laptop will not start", "Toner empty",
                 "Computer very slow", "Scanner not detected"],
    "accounts": ["Account locked", "Password expired", "New staff member needs an account",
                 "Cannot access the shared drive"],
    "payroll": ["Salary not received", "Wrong deduction on pay slip",
                "Cannot download pay slip"],
    "finance": ["Cannot approve a commitment", "Payment voucher stuck",
                "Budget report shows wrong figures"],
    "software": ["Need Microsoft Office installed", "Licence expired for the statistics package",
                 "Antivirus out of date"],
    "security": ["Suspicious e-mail asking for my password", "Laptop stolen from a vehicle"],
    "own": ["The registry system will not open", "Report export fails",
            "Records missing after the update"],
}  # fmt: skip
DETAILS = [
    "It started this morning and affects my work.",
    "Since yesterday afternoon; colleagues in my office see the same.",
    "I restarted the computer twice and it did not help.",
    "The error says 'access denied' and nothing else.",
    "It happens every time, in the office and from home.",
]
AGENT_REPLIES = [
    "Thank you for reporting this. We are looking into it.",
    "We have received your request and an officer is on it.",
    "Could you send a screenshot of the error message?",
    "Which office and floor are you in, and when are you there?",
]
REQUESTER_REPLIES = [
    "Here it is, thank you.",
    "It happens for everyone in our office.",
    "I am in room 204 on the second floor, every day from 8 to 4.",
    "It is still not working for me, sorry.",
]
NOTES = [
    "Waiting for the vendor to deliver the replacement part.",
    "Checked the switch on floor 2; the port is dead.",
    "Asked the network team for the firewall logs.",
]
RESOLUTIONS = [
    "This is fixed now. Please let us know if it happens again.",
    "We have made the change; it should work now.",
    "Resolved: we replaced the faulty part.",
]
TRANSFER_REASON = "A shared service: the national ICT agency runs it."
FIRST_NAMES = [
    "Musu",
    "James",
    "Comfort",
    "Fatu",
    "Emmanuel",
    "Yassah",
    "Joseph",
    "Grace",
    "Hawa",
    "Alice",
    "Korpo",
    "Mamie",
    "Prince",
    "Martha",
    "Samuel",
    "Aminata",
]
LAST_NAMES = [
    "Kollie",
    "Tarpeh",
    "Doe",
    "Kamara",
    "Sirleaf",
    "Flomo",
    "Kpoto",
    "Weah",
    "Johnson",
    "Nyema",
    "Togba",
    "Kpadeh",
    "Gbollie",
    "Cooper",
    "Dennis",
    "Sesay",
]
CHANNELS = {"web": 60, "email": 25, "phone": 12, "api": 3}
# Target status by the ticket's age: old tickets are nearly all closed.
STATUS_BY_AGE = [
    (timedelta(days=1), {"new": 40, "open": 30, "pending": 12, "on_hold": 6, "resolved": 12,
                         "closed": 0}),
    (timedelta(days=7), {"new": 8, "open": 25, "pending": 15, "on_hold": 10, "resolved": 27,
                         "closed": 15}),
    (timedelta(days=30), {"new": 2, "open": 8, "pending": 5, "on_hold": 5, "resolved": 0,
                          "closed": 80}),
    (timedelta(days=YEARS * 366), {"new": 0.05, "open": 0.5, "pending": 0.2, "on_hold": 0.5,
                                   "resolved": 0, "closed": 98.75}),
]  # fmt: skip
TRANSFER_SHARE = 0.04
PENDING_SHARE = 0.15
ASSIGN_FIRST_SHARE = 0.2
NOTE_SHARE = 0.25
REOPEN_SHARE = 0.05
REQUESTER_CLOSES_SHARE = 0.3


# -- The world: what stories are made of, read back from the database ------------------------


@dataclass
class World:
    agencies: dict[int, Agency]
    agency_weights: list[float]
    agency_ids: list[int]
    by_code: dict[str, Agency]
    categories: list[Category]
    own_categories: dict[int, Category]
    requesters: dict[int, list[int]]
    agents: dict[int, list[int]]
    team_agents: dict[int, list[int]]
    emails: dict[int, str]
    schedules: dict[int, object]
    policies: dict[tuple[int, str], SLAPolicy | None]


def load_world() -> World:
    """Everything a story needs, in a fixed order, so the same seed makes the same stories."""
    # The people were just written by COPY: without statistics the planner joins 60,000
    # memberships to 60,000 people by a nested loop, minutes instead of a fraction of a second.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_user, accounts_membership, agencies_team_members")
    agencies = {a.pk: a for a in Agency.objects.select_related("intake_team").order_by("pk")}
    categories = list(
        Category.objects.select_related("team", "handling_agency", "agency").order_by("pk")
    )
    requesters: dict[int, list[int]] = {pk: [] for pk in agencies}
    agents: dict[int, list[int]] = {pk: [] for pk in agencies}
    emails = {}
    memberships = Membership.objects.filter(agency__isnull=False).order_by("user_id")
    for user_id, agency_id, role, email in memberships.values_list(
        "user_id", "agency_id", "role", "user__email"
    ):
        emails[user_id] = email
        if role == Role.REQUESTER:
            requesters[agency_id].append(user_id)
        else:
            agents[agency_id].append(user_id)
    team_agents: dict[int, list[int]] = {}
    for team_id, user_id in Team.members.through.objects.order_by("team_id", "user_id").values_list(
        "team_id", "user_id"
    ):
        team_agents.setdefault(team_id, []).append(user_id)
    ids = list(agencies)
    # Ministries are not all the same size: the first ones carry more of the work.
    weights = [1 / (rank + 1) ** 0.6 for rank in range(len(ids))]
    return World(
        agencies=agencies,
        agency_weights=weights,
        agency_ids=ids,
        by_code={a.code: a for a in agencies.values()},
        categories=[c for c in categories if c.agency_id is None],
        own_categories={c.agency_id: c for c in categories if c.agency_id is not None},
        requesters=requesters,
        agents=agents,
        team_agents=team_agents,
        emails=emails,
        # The application's own functions, once per agency and priority.
        schedules={pk: sla.schedule_for_agency(agency) for pk, agency in agencies.items()},
        policies={
            (pk, priority): sla.policy_for(agency, priority)
            for pk, agency in agencies.items()
            for priority in ("P1", "P2", "P3", "P4")
        },
    )


# -- Stories ---------------------------------------------------------------------------------


@dataclass
class Step:
    at: datetime
    action: str  # assign, agent_reply, note, requester_reply, status, transfer, close
    actor_id: int | None
    body: str = ""
    value: str = ""  # the new status, or the receiving agency's code


@dataclass
class Story:
    index: int
    ticket_id: int
    reference: str
    created_at: datetime
    requester_id: int
    requester_agency_id: int
    agency_id: int
    category_id: int
    subject: str
    description: str
    impact: str
    urgency: str
    channel: str
    logged_by_id: int | None
    steps: list[Step] = field(default_factory=list)


@dataclass(slots=True)
class Head:
    """What is drawn for every ticket in order (its time, who, what), before the story."""

    created_at: datetime
    requester_agency_id: int
    requester_id: int
    category_id: int
    agency_id: int


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def heads(world: World, count: int, seed: int, now: datetime) -> list[Head]:
    """Every ticket's moment, requester and category, oldest first."""
    rng = random.Random(seed)  # noqa: S311 - benchmark data, not secrets
    span = YEARS * 365 * 86400
    # Volume grows over the years: later moments are a little more likely.
    offsets = sorted(span * (1 - rng.random() ** 1.15) for _ in range(count))
    hours = [8, 8, 9, 9, 9, 10, 10, 11, 11, 12, 13, 14, 14, 15, 15, 16, 17, 19, 21]
    out = []
    start = now - timedelta(seconds=span)
    global_weights = [c_weight for *_rest, c_weight in CATALOGUE]
    for offset in offsets:
        moment = start + timedelta(seconds=offset)
        if moment.weekday() >= 5 and rng.random() < 0.8:
            moment -= timedelta(days=moment.weekday() - 4)  # mostly on the Friday before
        moment = moment.replace(hour=rng.choice(hours), minute=rng.randrange(60))
        moment = min(moment, now - timedelta(minutes=rng.randrange(1, 30)))
        agency_id = rng.choices(world.agency_ids, weights=world.agency_weights)[0]
        requester_id = rng.choice(world.requesters[agency_id])
        own = world.own_categories.get(agency_id)
        if own is not None and rng.random() < OWN_SYSTEM_WEIGHT / 100:
            category = own
        else:
            category = rng.choices(world.categories, weights=global_weights)[0]
        handler = category.handling_agency_id or agency_id
        out.append(Head(moment, agency_id, requester_id, category.pk, handler))
    # Times were nudged after sorting: put them back in order, as references are given.
    out.sort(key=lambda h: h.created_at)
    return out


def references(world: World, ticket_heads: list[Head]) -> list[str]:
    counters: dict[int, int] = {}
    out = []
    for head in ticket_heads:
        counters[head.agency_id] = counters.get(head.agency_id, 0) + 1
        out.append(f"{world.agencies[head.agency_id].code}-{counters[head.agency_id]:06d}")
    return out


def story_for(
    world: World, index: int, head: Head, reference: str, seed: int, now: datetime
) -> Story:
    rng = random.Random(seed * 1_000_003 + index)  # noqa: S311
    category = next(
        (c for c in world.categories if c.pk == head.category_id),
        world.own_categories.get(head.requester_agency_id),
    )
    impact, urgency = category.default_impact, category.default_urgency
    if rng.random() < 0.3:
        impact, urgency = rng.choice(["high", "medium", "low"]), rng.choice(["high", "medium"])
    channel = _pick(rng, CHANNELS)
    agency_id = head.agency_id
    staff = world.agents[agency_id]
    subjects = SUBJECTS["own" if category.agency_id else category.slug]
    story = Story(
        index=index,
        ticket_id=index + 1,
        reference=reference,
        created_at=head.created_at,
        requester_id=head.requester_id,
        requester_agency_id=head.requester_agency_id,
        agency_id=agency_id,
        category_id=category.pk,
        subject=rng.choice(subjects),
        description=rng.choice(DETAILS),
        impact=impact,
        urgency=urgency,
        channel=channel,
        logged_by_id=rng.choice(staff) if channel == "phone" else None,
    )
    age = now - head.created_at
    target = _pick(rng, next(w for limit, w in STATUS_BY_AGE if age < limit))
    if index % LONG_STORY_EVERY == 7:
        target = "long"
    story.steps = _steps(rng, world, story, category, target, now)
    return story


def _steps(rng, world: World, story: Story, category, target: str, now: datetime) -> list[Step]:
    """The moves that take the ticket to `target`, spaced out and fitted before now."""
    if target == "new":
        return []
    agency_id = story.agency_id
    moves: list[tuple[str, int | None, str, str]] = []
    team = team_for(category, world.agencies[agency_id])
    pool = (team and world.team_agents.get(team.pk)) or world.agents[agency_id]
    agent = rng.choice(pool)
    if (
        target != "long"
        and rng.random() < TRANSFER_SHARE
        and world.by_code["NICTA"].pk != agency_id
    ):
        moves.append(("transfer", agent, TRANSFER_REASON, "NICTA"))
        agency_id = world.by_code["NICTA"].pk
        agent = rng.choice(world.agents[agency_id])
    if rng.random() < ASSIGN_FIRST_SHARE:
        moves.append(("assign", agent, "", ""))
    moves.append(("agent_reply", agent, rng.choice(AGENT_REPLIES), ""))
    if target == "long":
        for turn in range(46):
            if turn % 2 == 0:
                moves.append(
                    ("requester_reply", story.requester_id, rng.choice(REQUESTER_REPLIES), "")
                )
            else:
                moves.append(("agent_reply", agent, rng.choice(AGENT_REPLIES), ""))
        target = "open"
    if rng.random() < NOTE_SHARE:
        moves.append(("note", agent, rng.choice(NOTES), ""))
    asks = target == "pending" or (
        target in ("resolved", "closed") and rng.random() < PENDING_SHARE
    )
    if asks:
        moves.append(("status", agent, "", Status.PENDING))
        if target != "pending":
            moves.append(("requester_reply", story.requester_id, rng.choice(REQUESTER_REPLIES), ""))
    if target == "on_hold":
        moves.append(("status", agent, "", Status.ON_HOLD))
    if target in ("resolved", "closed"):
        if asks or rng.random() < 0.4:  # else the first reply fixed it
            moves.append(("agent_reply", agent, rng.choice(RESOLUTIONS), ""))
        moves.append(("status", agent, "", Status.RESOLVED))
        if rng.random() < REOPEN_SHARE:
            moves.append(("requester_reply", story.requester_id, REQUESTER_REPLIES[3], ""))
            moves.append(("agent_reply", agent, rng.choice(RESOLUTIONS), ""))
            moves.append(("status", agent, "", Status.RESOLVED))
    if target == "closed":
        if rng.random() < REQUESTER_CLOSES_SHARE:
            moves.append(("close", story.requester_id, "", ""))
        else:
            moves.append(("close", None, "", ""))  # closed automatically
    gaps = [_gap(rng, action, value) for action, _a, _b, value in moves]
    available = (now - story.created_at).total_seconds() - 60
    total = sum(gaps)
    if total > available:
        gaps = [gap * available / total for gap in gaps]
    steps, moment = [], story.created_at
    for (action, actor, body, value), gap in zip(moves, gaps, strict=True):
        moment = moment + timedelta(seconds=max(int(gap), 1))
        steps.append(Step(moment, action, actor, body, value))
    return steps


def _gap(rng: random.Random, action: str, value: str) -> float:
    if action == "close":
        return 7 * 86400 + rng.randrange(3600)
    if value == Status.RESOLVED:
        return rng.randrange(60, 3600)
    if action in ("requester_reply", "status"):
        return rng.randrange(600, 2 * 86400)
    return rng.randrange(120, 6 * 3600)


# -- Playing a story through the application's rules, in memory ------------------------------


@dataclass
class Played:
    ticket: Ticket
    events: list[tuple] = field(default_factory=list)
    holdings: list[list] = field(default_factory=list)
    transfers: list[tuple] = field(default_factory=list)
    public_text: list[str] = field(default_factory=list)
    notes_text: list[str] = field(default_factory=list)
    facts: list = field(default_factory=list)


class _Recorded:
    """The rows the rules save, kept in memory: events (written by `event_record` and by the
    SLA clock) and holdings (opened and closed by the SLA clock)."""

    class _Holding:
        def __init__(self, **fields):
            self.__dict__.update(fields)
            self.ended_at = fields.get("ended_at")
            self.business_seconds = None

        def save(self, update_fields=None):
            pass

    class _Events:
        @staticmethod
        def create(*, ticket, kind, actor=None, is_public=True, body="", data=None, created_at):
            actor_id = getattr(actor, "pk", actor)
            ticket._played.events.append(
                (kind, is_public, body, data or {}, created_at, actor_id, ticket.pk)
            )
            # Unsaved: event_record publishes only saved events, and the seed's are published
            # to nobody anyway (quiet=Quiet.ALL).
            return _Row(pk=None, ticket=ticket, kind=kind, created_at=created_at)

    class _Holdings:
        @staticmethod
        def create(*, ticket, agency, started_at, used_seconds_at_start=0):
            holding = _Recorded._Holding(
                agency=agency,
                agency_id=agency.pk,
                started_at=started_at,
                used_seconds_at_start=used_seconds_at_start,
            )
            ticket._played.holdings.append(holding)
            return holding

        @staticmethod
        def filter(*, ticket, ended_at__isnull):
            open_holdings = [h for h in ticket._played.holdings if h.ended_at is None]
            return _First(open_holdings[0] if open_holdings else None)

    class TicketEvent:
        Kind = TicketEvent.Kind

    class TicketHolding:
        pass

    TicketEvent.objects = _Events
    TicketHolding.objects = _Holdings


class _First:
    def __init__(self, value):
        self.value = value

    def first(self):
        return self.value


def _kept_in_memory(world: World) -> list[tuple[object, str, object]]:
    """The names `play` points at memory, each for a reason no public argument covers yet.

    Side effects need none of them: every change passes `quiet=Quiet.ALL`, so nothing is
    published, told or refreshed. These are about speed, and about tickets that are not in
    the database yet (they are written with COPY once played).
    """
    return [
        # event_record saves each event before publishing it (to nobody: quiet=Quiet.ALL);
        # the seed's events and ticket_set_status's are kept as rows to COPY instead.
        (ticket_events, "TicketEvent", _Recorded.TicketEvent),
        # The SLA clock saves its own events (due times moved) and the agencies' holdings
        # itself, not through event_record.
        (sla, "TicketEvent", _Recorded.TicketEvent),
        (sla, "TicketHolding", _Recorded.TicketHolding),
        # A policy or a calendar is read once per agency (load_world), not once per ticket.
        (sla, "policy_for", lambda agency, priority: world.policies[agency.pk, priority]),
        (sla, "schedule_for_agency", lambda agency: world.schedules[agency.pk]),
    ]


@contextlib.contextmanager
def offline_rules(world: World) -> Iterator[None]:
    """Points the few database calls of the SLA and status rules at memory, for `play`.

    A name that is gone stops the seed: skipped, the rules would write to the database, or
    read it once a ticket, and the seed would be wrong or slow without saying so.
    """
    replaced = _kept_in_memory(world)
    missing = [f"{m.__name__}.{name}" for m, name, _value in replaced if not hasattr(m, name)]
    if missing:
        raise RuntimeError(
            f"bench/seeding.py keeps {', '.join(missing)} in memory, and it no longer exists: "
            "update _kept_in_memory to what the rules now call."
        )
    saved = [(module, name, getattr(module, name)) for module, name, _value in replaced]
    for module, name, value in replaced:
        setattr(module, name, value)
    try:
        yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)


def _event(ticket: Ticket, kind: str, actor_id, at: datetime, *, public=True, body="", **data):
    """What the step's service records, through the same `event_record`, at the story's
    moment and published to nobody."""
    event_record(ticket, kind, actor_id, public=public, body=body, quiet=Quiet.ALL, at=at, **data)


def _set_status(ticket: Ticket, status: str, actor_id, at: datetime, reason=None) -> None:
    # ticket_set_status takes its moment from the clock: set to the story's moment, as
    # tests/bench/test_seed_bench.py does to replay the services.
    with time_machine.travel(at, tick=False):
        ticket_set_status(ticket, status, actor_id, reason=reason, quiet=Quiet.ALL)


def sweep_until(ticket: Ticket, until: datetime) -> None:
    """The escalation sweep, run each minute up to `until`, on this one ticket: the app's own
    `escalate_in_memory`, its unsaved events recorded as the sweep would save them."""
    while ticket.next_escalation_at is not None and ticket.next_escalation_at <= until:
        now = ticket.next_escalation_at
        for event in escalation.escalate_in_memory(ticket, now, sla.clock_for(ticket)):
            ticket._played.events.append(
                (event.kind, event.is_public, event.body, event.data, event.created_at,
                 event.actor_id, ticket.pk)
            )  # fmt: skip


def play(world: World, story: Story, now: datetime) -> Played:
    """The ticket, its events and holdings after its story, as the services would leave them."""
    agency = world.agencies[story.agency_id]
    category = next(
        (c for c in world.categories if c.pk == story.category_id),
        world.own_categories.get(story.requester_agency_id),
    )
    team = team_for(category, agency)
    at = story.created_at
    ticket = Ticket(
        pk=story.ticket_id,
        reference=story.reference,
        agency=agency,
        team_id=team.pk if team else None,
        requester_id=story.requester_id,
        requester_agency_id=story.requester_agency_id,
        category_id=category.pk,
        subject=story.subject,
        description=story.description,
        channel=story.channel,
        impact=story.impact,
        urgency=story.urgency,
        priority=priority_for(story.impact, story.urgency),
        created_at=at,
        updated_at=at,
    )
    played = Played(ticket)
    ticket._played = played
    logged_by = story.logged_by_id
    _event(
        ticket, TicketEvent.Kind.CREATED, logged_by or story.requester_id, at,
        channel=story.channel, agency=agency.code, team=team.name if team else None,
        on_behalf_of=world.emails[story.requester_id] if logged_by else None,
    )  # fmt: skip
    sla.clock_start(ticket, at)
    for step in story.steps:
        sweep_until(ticket, step.at)
        _apply_step(world, ticket, category, step)
        ticket.updated_at = step.at
        ticket.version += 1
    sweep_until(ticket, now)
    return played


def _apply_step(world: World, ticket: Ticket, category: Category, step: Step) -> None:
    at, actor = step.at, step.actor_id
    played = ticket._played
    if step.action == "assign":  # services.ticket_assign
        _event(ticket, TicketEvent.Kind.ASSIGNEE, actor, at, old=world.emails.get(
            ticket.assignee_id), new=world.emails[actor])  # fmt: skip
        ticket.assignee_id = actor
        if ticket.status == Status.NEW:
            _set_status(ticket, Status.OPEN, actor, at)
    elif step.action == "agent_reply":  # services.ticket_reply(as_agent=True)
        _event(ticket, TicketEvent.Kind.REPLY, actor, at, body=step.body, by_agent=True)
        played.public_text.append(step.body)
        if ticket.first_response_at is None:
            ticket.first_response_at = at
            sla.clock_first_response(ticket, at)
        if ticket.status == Status.NEW:
            _set_status(ticket, Status.OPEN, actor, at)
    elif step.action == "note":  # services.ticket_reply(internal=True, as_agent=True)
        _event(ticket, TicketEvent.Kind.NOTE, actor, at, public=False, body=step.body,
               by_agent=True)  # fmt: skip
        played.notes_text.append(step.body)
    elif step.action == "requester_reply":  # services.ticket_reply by the requester
        _event(ticket, TicketEvent.Kind.REPLY, actor, at, body=step.body, by_agent=False)
        played.public_text.append(step.body)
        if ticket.status in (Status.RESOLVED, Status.PENDING):
            _set_status(ticket, Status.OPEN, actor, at, reason="requester replied")
    elif step.action == "status":  # services.ticket_update(status=...)
        _set_status(ticket, step.value, actor, at)
    elif step.action == "close":  # ticket_close_by_requester, or ticket_auto_close
        reason = "closed by requester" if actor else "closed automatically after resolution"
        _set_status(ticket, Status.CLOSED, actor, at, reason=reason)
    elif step.action == "transfer":  # services.ticket_transfer
        from_agency, to_agency = ticket.agency, world.by_code[step.value]
        played.transfers.append((step.body, at, actor, from_agency.pk, to_agency.pk, ticket.pk))
        ticket.agency = to_agency
        team = team_for(category, to_agency)
        ticket.team_id = team.pk if team else None
        ticket.assignee_id = None
        team_name = team.name if team else None
        _event(ticket, TicketEvent.Kind.TRANSFER, actor, at, body=step.body,
               old=from_agency.code, new=to_agency.code, team=team_name)  # fmt: skip
        sla.clock_transferred(ticket, from_agency, at, actor)
        if ticket.status not in (Status.NEW, Status.RESOLVED):
            _set_status(ticket, Status.NEW, actor, at, reason="transferred")
    else:  # pragma: no cover - a story is made by _steps
        raise ValueError(step.action)


# -- Writing ---------------------------------------------------------------------------------

_ticket_fields: list = []


def ticket_fields(cursor) -> list:
    """The ticket's columns in the table (but the search documents, computed by the database).

    Read from the table, not only the model: a field still without its migration is left out.
    """
    if not _ticket_fields:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'tickets_ticket' AND table_schema = current_schema()"
        )
        present = {row[0] for row in cursor.fetchall()}
        _ticket_fields.extend(
            f
            for f in Ticket._meta.concrete_fields
            if f.column in present and f.name not in ("search_public", "search_notes")
        )
    return _ticket_fields


# The same documents as tickets/services.py builds with Django's SearchVector.
SEARCH_SQL = """
    setweight(to_tsvector('simple'::regconfig, COALESCE(s.reference, '')), 'A')
    || setweight(to_tsvector('simple'::regconfig, COALESCE(s.subject, '')), 'A')
    || setweight(to_tsvector('simple'::regconfig, COALESCE(s.description, '')), 'B')
    || setweight(to_tsvector('simple'::regconfig, COALESCE(s.public_text, '')), 'C'),
    setweight(to_tsvector('simple'::regconfig, COALESCE(s.notes_text, '')), 'C')
"""


def _ticket_row(ticket: Ticket, fields: list) -> tuple:
    return tuple(getattr(ticket, f.attname) for f in fields)


def write_played(cursor, played_list: list[Played]) -> int:
    """COPYs tickets (with their search documents), events, holdings and transfers."""
    cursor.execute(
        "CREATE TEMP TABLE IF NOT EXISTS bench_ticket_stage "
        "(LIKE tickets_ticket INCLUDING DEFAULTS, public_text text, notes_text text)"
    )
    fields = ticket_fields(cursor)
    columns = ", ".join(f.column for f in fields)
    with cursor.copy(
        f"COPY bench_ticket_stage ({columns}, public_text, notes_text) FROM STDIN"
    ) as copy:
        for played in played_list:
            copy.write_row(
                (*_ticket_row(played.ticket, fields), " ".join(played.public_text),
                 " ".join(played.notes_text))
            )  # fmt: skip
    cursor.execute(
        f"INSERT INTO tickets_ticket ({columns}, search_public, search_notes) "  # noqa: S608
        f"SELECT {', '.join('s.' + f.column for f in fields)}, {SEARCH_SQL} "
        "FROM bench_ticket_stage s ORDER BY s.id"
    )
    cursor.execute("TRUNCATE bench_ticket_stage")
    events = 0
    with cursor.copy(
        "COPY tickets_ticketevent (kind, is_public, body, data, created_at, actor_id, ticket_id) "
        "FROM STDIN"
    ) as copy:
        for played in played_list:
            for kind, public, body, data, at, actor_id, ticket_id in played.events:
                copy.write_row((kind, public, body, json.dumps(data), at, actor_id, ticket_id))
                events += 1
    with cursor.copy(
        "COPY tickets_ticketholding (started_at, ended_at, used_seconds_at_start, "
        "business_seconds, agency_id, ticket_id) FROM STDIN"
    ) as copy:
        for played in played_list:
            for h in played.holdings:
                copy.write_row((h.started_at, h.ended_at, h.used_seconds_at_start,
                                h.business_seconds, h.agency_id, played.ticket.pk))  # fmt: skip
    with cursor.copy(
        "COPY tickets_tickettransfer (reason, created_at, actor_id, from_agency_id, "
        "to_agency_id, ticket_id) FROM STDIN"
    ) as copy:
        for played in played_list:
            for row in played.transfers:
                copy.write_row(row)
    return events


# -- The government --------------------------------------------------------------------------


def _agency_specs() -> list[tuple[str, str, str]]:
    specs = list(FIRST_AGENCIES)
    for number in range(len(specs) + 1, AGENCY_COUNT + 1):
        kind = Agency.Kind.COMMISSION if number % 7 == 0 else Agency.Kind.AGENCY
        specs.append((f"AG{number:02d}", f"Government Agency {number:02d}", kind))
    return specs


def build_government(rng: random.Random, progress: Callable[[str], None]) -> None:
    """Agencies, teams, calendars, policies, the catalogue, and every person (COPY)."""
    national = BusinessCalendar.objects.create(agency=None, time_zone=TIME_ZONES[0],
                                               weekly_hours=OFFICE_HOURS)  # fmt: skip
    Holiday.objects.bulk_create(
        Holiday(calendar=national, date=date(2025, month, day), name=f"National {month}/{day}",
                recurs_yearly=True)
        for month, day in NATIONAL_HOLIDAYS
    )  # fmt: skip
    agencies = Agency.objects.bulk_create(
        Agency(code=code, name=name, kind=kind, time_zone=TIME_ZONES[i % len(TIME_ZONES)])
        for i, (code, name, kind) in enumerate(_agency_specs())
    )
    AgencyDomain.objects.bulk_create(
        AgencyDomain(agency=a, domain=f"{a.code.lower()}.{EMAIL_DOMAIN}") for a in agencies
    )
    calendars = BusinessCalendar.objects.bulk_create(
        BusinessCalendar(agency=a, time_zone=a.time_zone,
                         weekly_hours=SPLIT_HOURS if i % 5 == 1 else OFFICE_HOURS)
        for i, a in enumerate(agencies)
    )  # fmt: skip
    Holiday.objects.bulk_create(
        Holiday(calendar=c, date=date(2024 + i % 3, 1 + i % 12, 10 + i % 15), name="Agency day")
        for i, c in enumerate(calendars)
    )
    defaults = SLAPolicy.objects.bulk_create(
        SLAPolicy(agency=None, priority=p, response_minutes=r, resolution_minutes=res,
                  business_hours=bh)
        for p, r, res, bh in DEFAULT_POLICIES
    )  # fmt: skip
    # Every fourth agency keeps tighter service levels of its own, pausing on hold.
    own = SLAPolicy.objects.bulk_create(
        SLAPolicy(agency=a, priority=p, response_minutes=max(r // 2, 15),
                  resolution_minutes=res * 3 // 4, business_hours=bh, pause_on_hold=True)
        for a in agencies[::4]
        for p, r, res, bh in DEFAULT_POLICIES
    )  # fmt: skip
    EscalationLevel.objects.bulk_create(
        EscalationLevel(policy=policy, clock=clock, percent=percent, notify=notify,
                        marks_breach=breach)
        for policy in [*defaults, *own]
        for clock, percent, notify, breach in ESCALATION
    )  # fmt: skip
    teams = Team.objects.bulk_create(
        Team(agency=a, name=name)
        for i, a in enumerate(agencies)
        for name in TEAM_NAMES[: 3 + i % 3]
    )
    teams_of: dict[int, list[Team]] = {}
    for team in teams:
        teams_of.setdefault(team.agency_id, []).append(team)
    for agency in agencies:
        agency.intake_team = teams_of[agency.pk][0]
    Agency.objects.bulk_update(agencies, ["intake_team"])
    by_code = {a.code: a for a in agencies}
    for slug, name, handler, team_index, impact, urgency, _weight in CATALOGUE:
        handling = by_code[handler] if handler else None
        handler_teams = teams_of[handling.pk] if handling else None
        Category.objects.create(
            slug=slug, name=name, handling_agency=handling,
            team=handler_teams[min(team_index, len(handler_teams) - 1)] if handling else None,
            default_impact=impact, default_urgency=urgency,
        )  # fmt: skip
    Category.objects.bulk_create(
        Category(slug=f"{a.code.lower()}-system", name=f"{a.code} registry system", agency=a,
                 default_impact="medium", default_urgency="medium")
        for a in agencies
    )  # fmt: skip
    progress(f"{len(agencies)} agencies, {len(teams)} teams, calendars, policies, catalogue")
    _write_people(rng, agencies, teams_of, progress)


def _write_people(rng, agencies, teams_of, progress) -> None:
    password_hash = make_password(BENCH_PASSWORD)  # one slow hash, reused by everyone
    joined = timezone.now() - timedelta(days=YEARS * 366)
    user_id = User.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    users, memberships, team_members = [], [], []

    def person(email: str, agency_id: int | None, role: str, staff=False) -> int:
        nonlocal user_id
        user_id += 1
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        users.append((user_id, password_hash, staff, email, name, "en", staff, True, joined))
        memberships.append((role, joined, agency_id, user_id))
        return user_id

    person(f"council@cio.{EMAIL_DOMAIN}", None, Role.COUNCIL)
    person(f"admin@{EMAIL_DOMAIN}", None, Role.PLATFORM_ADMIN, staff=True)
    for agency in agencies:
        domain = f"{agency.code.lower()}.{EMAIL_DOMAIN}"
        teams = teams_of[agency.pk]
        for n in range(1, AGENTS_PER_AGENCY + 1):
            role = Role.AGENCY_ADMIN if n == 1 else Role.AGENT
            pk = person(f"agent{n}@{domain}", agency.pk, role)
            team_members.append((teams[n % len(teams)].pk, pk))
        for n in range(1, REQUESTERS_PER_AGENCY + 1):
            person(f"staff{n:04d}@{domain}", agency.pk, Role.REQUESTER)
    with connection.cursor() as cursor:
        with cursor.copy(
            "COPY accounts_user (id, password, is_superuser, email, full_name, "
            "preferred_language, is_staff, is_active, date_joined) FROM STDIN"
        ) as copy:
            for row in users:
                copy.write_row(row)
        with cursor.copy(
            'COPY account_emailaddress (email, verified, "primary", user_id) FROM STDIN'
        ) as copy:
            for row in users:
                copy.write_row((row[3], True, True, row[0]))
        with cursor.copy(
            "COPY accounts_membership (role, created_at, agency_id, user_id) FROM STDIN"
        ) as copy:
            for row in memberships:
                copy.write_row(row)
        with cursor.copy("COPY agencies_team_members (team_id, user_id) FROM STDIN") as copy:
            for row in team_members:
                copy.write_row(row)
        _reset_identity(cursor, "accounts_user")
    progress(f"{len(users):,} people with memberships and verified addresses")


def _reset_identity(cursor, table: str) -> None:
    cursor.execute("SELECT to_regclass(%s)", [table])
    if cursor.fetchone()[0] is None:
        return
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
        f"GREATEST((SELECT max(id) FROM {table}), 1))"
    )


# -- Indexes: dropped while loading, built once at the end ------------------------------------

LOADED_TABLES = ("tickets_ticket", "tickets_ticketevent", "tickets_ticketholding",
                 "tickets_tickettransfer", "reports_reportfact")  # fmt: skip


def _droppable_indexes(cursor) -> list[tuple[str, str]]:
    """Indexes of the big tables that no constraint owns (those stay: keys, unique refs)."""
    cursor.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.tablename = ANY(%s) AND i.schemaname = current_schema()
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        ORDER BY i.indexname
        """,
        [list(LOADED_TABLES)],
    )
    return cursor.fetchall()


@contextlib.contextmanager
def indexes_built_after(progress: Callable[[str], None], workers: int) -> Iterator[None]:
    with connection.cursor() as cursor:
        indexes = _droppable_indexes(cursor)
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    try:
        yield
    finally:
        started = time.monotonic()

        def build(definition: str) -> None:
            with connection.cursor() as cursor:
                cursor.execute("SET maintenance_work_mem = '256MB'")
                cursor.execute(definition)

        in_threads(build, [definition for _name, definition in indexes], workers)
        progress(f"{len(indexes)} indexes built in {time.monotonic() - started:.0f} s")


def in_threads(function: Callable, items: list, workers: int) -> list:
    """`function` on each item, in `workers` threads with a connection each (PostgreSQL does
    the work, so threads run side by side); in this thread and its transaction when 1."""
    if workers <= 1:
        return [function(item) for item in items]

    def run(item):
        try:
            return function(item)
        finally:
            connection.close()  # this thread's own

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, items))


# -- The whole seed --------------------------------------------------------------------------


@dataclass
class SeedResult:
    tickets: int
    events: int
    seconds: float


def database_is_empty() -> bool:
    return not (Agency.objects.exists() or User.objects.exists() or Ticket.objects.exists())


def recorded_seed() -> dict | None:
    """What seed_bench last finished in this database: {tickets, seed, seeded_at}."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [SEED_TABLE])
        if cursor.fetchone()[0] is None:
            return None
        cursor.execute(f"SELECT tickets, seed, seeded_at FROM {SEED_TABLE} LIMIT 1")  # noqa: S608
        row = cursor.fetchone()
    return {"tickets": row[0], "seed": row[1], "seeded_at": row[2]} if row else None


def _record_seed(tickets: int, seed: int, now: datetime, seconds: float) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {SEED_TABLE} (tickets integer, seed integer, "
            "seeded_at timestamptz, seconds double precision)"
        )
        cursor.execute(f"DELETE FROM {SEED_TABLE}")  # noqa: S608
        cursor.execute(
            f"INSERT INTO {SEED_TABLE} VALUES (%s, %s, %s, %s)",  # noqa: S608
            [tickets, seed, now, seconds],
        )


def forget_seed() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SEED_TABLE}")


def seed(
    *, tickets: int, seed_value: int, workers: int, progress: Callable[[str], None]
) -> SeedResult:
    """Builds the government and its tickets. The database must be empty."""
    started = time.monotonic()
    now = timezone.now().replace(microsecond=0)
    rng = random.Random(seed_value)  # noqa: S311
    with transaction.atomic():
        build_government(rng, progress)
    world = load_world()
    ticket_heads = heads(world, tickets, seed_value, now)
    refs = references(world, ticket_heads)
    progress(f"{tickets:,} tickets drawn over {YEARS} years; playing their stories")
    events = 0
    with indexes_built_after(progress, workers):
        chunks = [(start, min(start + CHUNK, tickets)) for start in range(0, tickets, CHUNK)]
        facts = reports_function(TICKET_FACTS)[0] is not None
        job = _ChunkJob(world, ticket_heads, refs, seed_value, now, facts)
        done, facts_refused = 0, ""
        for chunk_tickets, chunk_events, refused in _run_chunks(job, chunks, workers):
            facts_refused = facts_refused or refused
            done += chunk_tickets
            events += chunk_events
            elapsed = time.monotonic() - started
            progress(f"{done:,}/{tickets:,} tickets, {events:,} events ({elapsed:.0f} s)")
    with connection.cursor() as cursor:
        for table in LOADED_TABLES:
            _reset_identity(cursor, table)
        # Each agency's next number follows the highest reference it gave out (a transferred
        # ticket keeps the reference of the agency that first received it).
        cursor.execute(
            """
            INSERT INTO tickets_ticketcounter (agency_id, last_number)
            SELECT a.id, max(split_part(t.reference, '-', 2)::integer)
            FROM tickets_ticket t JOIN agencies_agency a ON a.code = split_part(t.reference, '-', 1)
            GROUP BY a.id
            ON CONFLICT (agency_id) DO UPDATE SET last_number = EXCLUDED.last_number
            """
        )
    if facts_refused:
        # Some facts could not be made in memory: none are kept, the app rebuilds them.
        progress(f"rollups: {facts_refused}")
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE reports_reportfact")
    if facts_refused or not (job.facts and rollups_from_facts(progress, workers)):
        refresh_rollups(now, progress)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    seconds = time.monotonic() - started
    _record_seed(tickets, seed_value, now, seconds)
    return SeedResult(tickets, events, seconds)


# The integration points with the reports app (issue 8), by name, so that the seed and the
# benchmark run before it lands and say what is missing:
# - a ticket's facts from its rows: the seed calls it on each ticket it plays, in memory,
#   writes the facts with COPY, then has the rollups recomputed from them by the app;
TICKET_FACTS = "reports.services.ticket_facts"
ROLLUPS_RECOMPUTE = "reports.services.rollups_recompute"
# - should that refuse in-memory rows (its signature changed), the app rebuilds the days the
#   dashboards open on instead: slower (ms a ticket), so only the last ROLLUP_DAYS days;
ROLLUP_REBUILD = "reports.services.rollups_rebuild_range"
ROLLUP_DAYS = 30
# - the processing of pending refreshes, which bench/run.py times after 1,000 changes.
ROLLUP_REFRESH = "reports.services.rollups_refresh_pending"


def reports_function(path: str):
    """The reports app's function at `path`, or None and the reason it is not available."""
    import importlib

    module_name, _, name = path.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None, f"{module_name} does not exist yet"
    function = getattr(module, name, None)
    if function is None:
        return None, f"{module_name} has no {name}"
    return function, ""


class _Row:
    """A status event or a transfer as ticket_facts reads it: attributes only."""

    def __init__(self, **fields):
        self.__dict__.update(fields)


_facts_failure: list[str] = []


def add_facts(world: World, played_list: list[Played]) -> bool:
    """The reports app's facts of each played ticket; False (and why) if it refuses them."""
    import reports.services as reports_services

    calendars = reports_services.Calendars()
    status = TicketEvent.Kind.STATUS
    try:
        for played in played_list:
            ticket = played.ticket
            played.facts = reports_services.ticket_facts(
                ticket,
                holdings=played.holdings,
                status_events=[
                    _Row(ticket_id=ticket.pk, kind=kind, data=data, created_at=at)
                    for kind, _public, _body, data, at, _actor, _t in played.events
                    if kind == status
                ],
                transfers=[
                    _Row(ticket_id=ticket.pk, created_at=at, actor_id=actor,
                         from_agency=world.agencies[from_id], from_agency_id=from_id,
                         to_agency=world.agencies[to_id], to_agency_id=to_id, reason=reason)
                    for reason, at, actor, from_id, to_id, _t in played.transfers
                ],
                calendars=calendars,
            )  # fmt: skip
    except (TypeError, AttributeError, KeyError) as error:
        _facts_failure.append(f"{TICKET_FACTS} refused in-memory rows: {error!r}")
        return False
    return True


def write_facts(cursor, played_list: list[Played]) -> None:
    from reports.models import ReportFact

    fields = [f for f in ReportFact._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(f.column for f in fields)
    with cursor.copy(f"COPY {ReportFact._meta.db_table} ({columns}) FROM STDIN") as copy:
        for played in played_list:
            for fact in played.facts:
                copy.write_row(tuple(getattr(fact, f.attname) for f in fields))


def rollups_from_facts(progress: Callable[[str], None], workers: int) -> bool:
    """Every day's rollups, recomputed from the facts by the reports app, agency by agency."""
    from reports.models import ReportFact

    recompute, reason = reports_function(ROLLUPS_RECOMPUTE)
    if recompute is None or not ReportFact.objects.exists():
        progress(f"rollups: facts not written ({reason or _facts_failure[:1]})")
        return False
    started = time.monotonic()
    keys_by_agency: dict[int, set] = {}
    for agency_id, day in ReportFact.objects.values_list("agency_id", "day").distinct():
        keys_by_agency.setdefault(agency_id, set()).add((agency_id, day))
    rows = sum(in_threads(lambda keys: recompute(keys=keys), list(keys_by_agency.values()),
                          workers))  # fmt: skip
    progress(
        f"{ReportFact.objects.count():,} report facts; {rows:,} daily rollups computed in "
        f"{time.monotonic() - started:.0f} s"
    )
    return True


def refresh_rollups(now: datetime, progress: Callable[[str], None]) -> None:
    function, reason = reports_function(ROLLUP_REBUILD)
    if function is None:
        progress(f"rollups: not available ({reason})")
        return
    started = time.monotonic()
    today = timezone.localdate(now)
    function(start=today - timedelta(days=ROLLUP_DAYS), end=today)
    progress(
        f"rollups of the last {ROLLUP_DAYS} days rebuilt in {time.monotonic() - started:.0f} s"
    )


@dataclass
class _ChunkJob:
    world: World
    heads: list[Head]
    refs: list[str]
    seed_value: int
    now: datetime
    facts: bool


_job: _ChunkJob | None = None


def _play_chunk(bounds: tuple[int, int]) -> tuple[int, int, str]:
    start, end = bounds
    job = _job
    with offline_rules(job.world):
        played = [
            play(job.world, story_for(job.world, i, job.heads[i], job.refs[i], job.seed_value,
                                      job.now), job.now)
            for i in range(start, end)
        ]  # fmt: skip
        facts_ok = job.facts and add_facts(job.world, played)
    with transaction.atomic(), connection.cursor() as cursor:
        events = write_played(cursor, played)
        if facts_ok:
            write_facts(cursor, played)
    return end - start, events, "" if facts_ok or not job.facts else _facts_failure[-1]


def _run_chunks(job: _ChunkJob, chunks, workers: int) -> Iterator[tuple[int, int, str]]:
    global _job
    _job = job
    if workers <= 1 or len(chunks) <= 1:
        for bounds in chunks:
            yield _play_chunk(bounds)
        return
    # Forked workers share the world read from the database; each opens its own connection.
    connections.close_all()
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        yield from pool.imap(_play_chunk, chunks)
    connections.close_all()


# -- The knowledge base ----------------------------------------------------------------------

# Published articles, each in English and in French, for the help search and the suggestions
# at intake. bench/run.py adds them to a database that lacks them, a reused one included.
ARTICLE_COUNT = 5000
# What an article is about, in both languages: (English, French).
ARTICLE_TOPICS = [
    ("printer", "imprimante"), ("laptop", "ordinateur portable"), ("password", "mot de passe"),
    ("VPN", "VPN"), ("e-mail", "messagerie"), ("mailbox", "boîte aux lettres"),
    ("Wi-Fi", "Wi-Fi"), ("shared drive", "lecteur partagé"), ("scanner", "scanner"),
    ("payroll portal", "portail de la paie"), ("pay slip", "bulletin de paie"),
    ("antivirus", "antivirus"), ("Microsoft Office", "Microsoft Office"),
    ("video meeting", "réunion vidéo"), ("desk phone", "téléphone de bureau"),
    ("smartphone", "smartphone"), ("account", "compte"), ("network", "réseau"),
    ("registry system", "système du registre"), ("budget report", "rapport budgétaire"),
    ("toner", "toner"), ("monitor", "écran"), ("calendar", "agenda"),
    ("internet browser", "navigateur internet"),
]  # fmt: skip
ARTICLE_PROBLEMS = [
    ("is offline", "est hors ligne"), ("will not start", "ne démarre pas"),
    ("is very slow", "est très lent"), ("shows an error", "affiche une erreur"),
    ("keeps disconnecting", "se déconnecte sans cesse"), ("is locked", "est bloqué"),
    ("has expired", "a expiré"), ("is full", "est plein"), ("is missing", "a disparu"),
    ("does not sync", "ne se synchronise pas"), ("asks for access", "demande un accès"),
    ("needs an update", "doit être mis à jour"),
]  # fmt: skip
ARTICLE_TITLES = [
    ("{Topic} {problem}", "{Topic} : {problem}"),
    ("What to do when the {topic} {problem}", "Que faire quand {topic} {problem}"),
    ("Fix: the {topic} {problem}", "Résoudre : {topic} {problem}"),
    ("Set up your {topic}", "Configurer votre {topic}"),
    ("Reset your {topic} settings", "Réinitialiser les paramètres de votre {topic}"),
]  # fmt: skip
ARTICLE_STEPS = [
    ("Restart the {topic} and wait two minutes before trying again.",
     "Redémarrez {topic} et attendez deux minutes avant de réessayer."),
    ("Check that the cable is connected and that the light is green.",
     "Vérifiez que le câble est branché et que le voyant est vert."),
    ("Sign out of your account, then sign in again with your government address.",
     "Déconnectez-vous de votre compte, puis reconnectez-vous avec votre adresse."),
    ("Open the settings, choose Reset, and confirm when asked.",
     "Ouvrez les paramètres, choisissez Réinitialiser et confirmez."),
    ("Install the latest updates from the software centre and restart the computer.",
     "Installez les dernières mises à jour depuis le centre logiciel et redémarrez l'ordinateur."),
    ("Clear the browser cache and open the page again.",
     "Videz le cache du navigateur et rouvrez la page."),
    ("Ask a colleague whether the {topic} works for them: if not, the service is down.",
     "Demandez à un collègue si {topic} fonctionne pour lui : sinon, le service est en panne."),
    ("Write down the error message exactly as it appears on the screen.",
     "Notez le message d'erreur exactement comme il apparaît à l'écran."),
    ("Connect to the office network or to the VPN before you try again.",
     "Connectez-vous au réseau du bureau ou au VPN avant de réessayer."),
    ("Change your password on the portal; the new one works within fifteen minutes.",
     "Changez votre mot de passe sur le portail ; le nouveau fonctionne dans les quinze minutes."),
]  # fmt: skip
ARTICLE_INTRODUCTIONS = [
    ("This article is for everyone whose {topic} {problem}. Most of the time the steps below "
     "solve it in a few minutes, without waiting for an agent.",
     "Cet article s'adresse à toute personne dont {topic} {problem}. Le plus souvent, les "
     "étapes ci-dessous le résolvent en quelques minutes, sans attendre un agent."),
    ("It often happens after an update, a move to another office or a change of password. "
     "Follow the steps in order and stop as soon as the {topic} works again.",
     "Cela arrive souvent après une mise à jour, un changement de bureau ou de mot de passe. "
     "Suivez les étapes dans l'ordre et arrêtez dès que {topic} fonctionne de nouveau."),
    ("Before you start, save your work and close the documents you have open: some steps "
     "restart the computer.",
     "Avant de commencer, enregistrez votre travail et fermez les documents ouverts : "
     "certaines étapes redémarrent l'ordinateur."),
]  # fmt: skip
ARTICLE_CLOSINGS = [
    ("If the {topic} still {problem}, report a problem and give the error message.",
     "Si {topic} {problem} toujours, signalez un problème avec le message d'erreur."),
    ("Still stuck? The service desk answers every working day from 8 to 5.",
     "Toujours bloqué ? Le service d'assistance répond chaque jour ouvré de 8 h à 17 h."),
]  # fmt: skip
# Who may read them: mostly everyone, then civil servants, one agency's staff, agents.
ARTICLE_AUDIENCES = {"public": 50, "civil_servants": 25, "agency": 15, "agents": 10}
ARTICLE_VERSION_SEARCH_SQL = """
UPDATE knowledge_articleversion SET search =
    setweight(to_tsvector(%(config)s::regconfig, COALESCE(title, '')), 'A')
    || setweight(to_tsvector(%(config)s::regconfig, COALESCE(summary, '')), 'B')
    || setweight(to_tsvector(%(config)s::regconfig, COALESCE(body, '')), 'C')
WHERE language = %(language)s AND search IS NULL
"""


def _article_texts(rng: random.Random, topic: tuple, problem: tuple) -> tuple[tuple, tuple]:
    """(title, summary, body) in English and in French, from the same draws."""
    title = rng.choice(ARTICLE_TITLES)
    introduction = rng.sample(ARTICLE_INTRODUCTIONS, rng.randint(1, 3))
    steps = rng.sample(ARTICLE_STEPS, rng.randint(3, 6))
    closing = rng.choice(ARTICLE_CLOSINGS)
    texts = []
    for index in (0, 1):
        words = {"topic": topic[index], "Topic": topic[index][:1].upper() + topic[index][1:],
                 "problem": problem[index]}  # fmt: skip
        body = "\n".join(
            [" ".join(part[index].format(**words) for part in introduction), ""]
            + [f"{n}. {step[index].format(**words)}" for n, step in enumerate(steps, 1)]
            + ["", closing[index].format(**words)]
        )
        summary = (
            "When the {topic} {problem}: the steps that solve it most often.",
            "Quand {topic} {problem} : les étapes qui le résolvent le plus souvent.",
        )
        texts.append((title[index].format(**words), summary[index].format(**words), body))
    return texts[0], texts[1]


def seed_articles(*, seed_value: int, progress: Callable[[str], None],
                  count: int = ARTICLE_COUNT) -> int:  # fmt: skip
    """`count` published articles in English and French, unless the database holds that many
    already: written with COPY, their search documents built as knowledge.services builds
    them. Returns how many were written."""
    from django.utils.text import slugify

    from knowledge.models import DEFAULT_REVIEW_DAYS, SEARCH_CONFIGS, Article, ArticleVersion

    published = Article.objects.filter(status=Article.Status.PUBLISHED).count()
    if published >= count:
        return 0
    started = time.monotonic()
    rng = random.Random(seed_value * 7919 + published)  # noqa: S311
    agency_ids = list(Agency.objects.order_by("pk").values_list("pk", flat=True))
    category_ids = list(Category.objects.order_by("pk").values_list("pk", flat=True))
    if not agency_ids:
        raise ValueError("seed the government before its articles")
    audiences, weights = list(ARTICLE_AUDIENCES), list(ARTICLE_AUDIENCES.values())
    now = timezone.now().replace(microsecond=0)
    first_id = (Article.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    articles, versions = [], []
    for offset in range(count - published):
        article_id = first_id + offset
        topic, problem = rng.choice(ARTICLE_TOPICS), rng.choice(ARTICLE_PROBLEMS)
        english, french = _article_texts(rng, topic, problem)
        changed = now - timedelta(days=rng.randint(1, 170), minutes=rng.randint(0, 1440))
        articles.append((
            article_id, f"{slugify(english[0])[:60]}-{article_id}",
            agency_ids[rng.randrange(len(agency_ids))],
            rng.choice(category_ids) if category_ids and rng.random() < 0.7 else None,
            rng.choices(audiences, weights)[0], Article.Status.PUBLISHED, changed, changed,
            changed - timedelta(days=rng.randint(0, 400)), changed, DEFAULT_REVIEW_DAYS,
        ))  # fmt: skip
        for language, (title, summary, body) in (("en", english), ("fr", french)):
            versions.append((article_id, language, title, summary, body, changed))
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.copy(
            f"COPY {Article._meta.db_table} (id, slug, owner_agency_id, category_id, audience, "
            "status, status_changed_at, last_reviewed_at, created_at, updated_at, "
            "review_every_days) FROM STDIN"
        ) as copy:
            for row in articles:
                copy.write_row(row)
        with cursor.copy(
            f"COPY {ArticleVersion._meta.db_table} (article_id, language, title, summary, body, "
            "updated_at) FROM STDIN"
        ) as copy:
            for row in versions:
                copy.write_row(row)
        for language, config in SEARCH_CONFIGS.items():
            cursor.execute(ARTICLE_VERSION_SEARCH_SQL, {"config": config, "language": language})
        _reset_identity(cursor, Article._meta.db_table)
        _reset_identity(cursor, ArticleVersion._meta.db_table)
    with connection.cursor() as cursor:
        # Vacuumed too, when it may be: the search documents were written by an update.
        verb = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        cursor.execute(f"{verb} {Article._meta.db_table}, {ArticleVersion._meta.db_table}")
    progress(
        f"{len(articles):,} published articles in English and French written in "
        f"{time.monotonic() - started:.1f} s"
    )
    return len(articles)
