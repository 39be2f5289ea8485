"""`make bench`: seeds a benchmark government if needed, serves it with gunicorn on loopback,
measures every scenario signed in as the right persona, and writes bench/results/latest.json.

    DATABASE_URL=postgres://... REDIS_URL=redis://... python -m bench.run

The database named by DATABASE_URL is never touched: the benchmark uses another database on
the same server (BENCH_DATABASE, default govdesk_bench), and reuses it when it already holds
BENCH_TICKETS tickets seeded with BENCH_SEED. Settings, all from the environment:

    BENCH_TICKETS (100000; two sizes "100000,1000000" measure both, one after the other,
        each in its own database BENCH_DATABASE_<size>, and report how each scenario grows)
    BENCH_SEED (1)  BENCH_REQUESTS (60, at least 50 for real figures)
    BENCH_WARMUP (5)  BENCH_CONCURRENCY (8)  BENCH_DURATION (20 s)  BENCH_SWEEP_DUE (1000)
    BENCH_SWEEP_RUNS (3)  BENCH_CHANGES (1000)  BENCH_OUTPUT (bench/results/latest.json)
    BENCH_PROFILE (0; 1 writes a pyinstrument profile of the slowest page next to the output)
    BENCH_CREATORS (16)  BENCH_CREATE_WORKERS (8): concurrent ticket creation, for BENCH_DURATION
    BENCH_ARTICLES (5000): published articles, each in English and French, for the help search
    BENCH_BASELINE (the output file as it was before the run): the results each size is
        compared with; a scenario more than 25% slower than there is named

A scenario whose part of GovDesk is missing (an app not merged yet) is reported as not
available, with the reason, and the others are measured.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import os
import platform
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"
QUERY_HEADER = "X-Bench-Queries"
WEB_WORKERS = 2
# One key for every size of a run: this process signs the personas' sessions with the key it
# read first, and each size's server must check them with the same.
RUN_SECRET_KEY = secrets.token_urlsafe(64)


# -- What is measured: one line per scenario ---------------------------------------------------


@dataclass
class Scenario:
    key: str
    persona: str  # requester, agent, council, api, anonymous
    method: str
    path: str  # {ticket}: the reference of the ticket with about 50 events
    rps: bool = False
    body: str = ""  # web: a form, filled in by run_form; api: JSON


# The agent persona's saved view, as the queue's form saves it (workspace.services): every
# queue page shows it with its count.
SAVED_VIEW_NAME = "Breached in my agency"
SAVED_VIEW_QUERY = "view=all&sla=breached"

SCENARIOS = [
    Scenario("requester_home", "requester", "GET", "/tickets/"),
    # The portal's home page, where a signed-in requester lands: their open tickets and the
    # help search.
    Scenario("portal_home", "requester", "GET", "/"),
    Scenario("ticket_create_web", "requester", "POST", "/tickets/new/", body="form"),
    Scenario("agent_queue", "agent", "GET", "/queue/", rps=True),
    Scenario("agent_queue_filtered", "agent", "GET", "/queue/?view=all&status=open&priority=P3"),
    Scenario("agent_search", "agent", "GET", "/queue/?view=all&q=printer"),
    # The queue's other built-in views ("mine" is agent_queue), each with every view's count.
    Scenario("agent_queue_unassigned", "agent", "GET", "/queue/?view=unassigned"),
    Scenario("agent_queue_transferred", "agent", "GET", "/queue/?view=transferred"),
    Scenario("agent_queue_due", "agent", "GET", "/queue/?view=due"),
    Scenario("agent_queue_all", "agent", "GET", "/queue/?view=all"),
    # The agent's saved view (SAVED_VIEW, seeded for them) opened from the queue's side, and
    # the page that lists their saved views.
    Scenario("agent_saved_view", "agent", "GET", f"/queue/?{SAVED_VIEW_QUERY}"),
    Scenario("agent_saved_views", "agent", "GET", "/workspace/views/"),
    Scenario("ticket_page", "agent", "GET", "/tickets/{ticket}/"),
    Scenario("agency_dashboard", "agent", "GET", "/dashboard/"),
    Scenario("council_dashboard", "council", "GET", "/council/"),
    Scenario("api_list", "api", "GET", "/api/v1/tickets/"),
    Scenario(
        "api_create",
        "api",
        "POST",
        "/api/v1/tickets/",
        rps=True,
        body=json.dumps(
            {
                "subject": "Printer offline",
                "description": "Measured by the benchmark.",
                "category": "computer",
                "impact": "low",
                "urgency": "medium",
            }
        ),
    ),
    # The help search among the seeded articles (bench/seeding.py seed_articles), signed out
    # and signed in, and the articles suggested as a subject is typed on "Report a problem".
    Scenario("help_search", "anonymous", "GET", "/help/?q=printer+offline"),
    Scenario("help_search_signed_in", "requester", "GET", "/help/?q=reset+password"),
    Scenario(
        "intake_suggestions", "requester", "GET", "/help/suggest/?subject=VPN+keeps+disconnecting"
    ),
    # Its requests per second are the most the same server can answer at all.
    Scenario("ceiling", "anonymous", "GET", "/bench/ceiling/", rps=True),
]
IN_PROCESS = ["sla_sweep", "rollup_refresh"]
# BENCH_CREATORS clients creating tickets for one agency through the API at once, on a server
# of its own with BENCH_CREATE_WORKERS workers: whether creators queue behind each other.
CONCURRENT_CREATION = "create_concurrent"
RESULT_KEYS = [s.key for s in SCENARIOS[:-1]] + [CONCURRENT_CREATION, *IN_PROCESS, "ceiling"]
# What the targets of issue 10 say, for the table (milliseconds at the 95th percentile).
TARGET_P95_MS = {"agency_dashboard": 250, "council_dashboard": 250, "sla_sweep": 1000,
                 "rollup_refresh": None, CONCURRENT_CREATION: None}  # fmt: skip
# Issue 18: the help search and the suggestions at intake, with 5,000 articles in two languages.
TARGET_P95_MS |= {"help_search": 50, "help_search_signed_in": 50, "intake_suggestions": 50}


# A scenario whose p95 at the larger size is more than this many times its p95 at the smaller
# one grows with the data (issue 23: cost that does not grow).
GROWING_RATIO = 1.5
# A scenario whose p95 is more than this share above the baseline's is a regression.
SLOWER_SHARE = 0.25


@dataclass
class Config:
    tickets: int
    seed: int
    requests: int
    warmup: int
    concurrency: int
    duration: float
    sweep_due: int
    sweep_runs: int
    changes: int
    output: Path
    profile: bool
    database: str
    creators: int
    create_workers: int
    sizes: tuple[int, ...] = ()
    baseline: Path | None = None
    articles: int = 5000

    @classmethod
    def from_env(cls) -> Config:
        def number(name: str, default: str, kind=int, minimum=1):
            raw = os.environ.get(name) or default
            try:
                value = kind(raw)
            except ValueError:
                raise SystemExit(f"bench: {name} must be a number, got {raw!r}") from None
            if value < minimum:
                raise SystemExit(f"bench: {name} must be at least {minimum}, got {raw!r}")
            return value

        sizes = ticket_sizes(os.environ.get("BENCH_TICKETS") or "100000")
        database = os.environ.get("BENCH_DATABASE") or "govdesk_bench"
        output = Path(os.environ.get("BENCH_OUTPUT") or BASE_DIR / "bench/results/latest.json")
        return cls(
            tickets=sizes[-1],
            seed=number("BENCH_SEED", "1", minimum=0),
            requests=number("BENCH_REQUESTS", "60"),
            warmup=number("BENCH_WARMUP", "5", minimum=0),
            concurrency=number("BENCH_CONCURRENCY", "8"),
            duration=number("BENCH_DURATION", "20", kind=float),
            sweep_due=number("BENCH_SWEEP_DUE", "1000"),
            sweep_runs=number("BENCH_SWEEP_RUNS", "3"),
            changes=number("BENCH_CHANGES", "1000"),
            output=output,
            profile=os.environ.get("BENCH_PROFILE", "0") not in ("", "0"),
            database=database,
            creators=number("BENCH_CREATORS", "16"),
            create_workers=number("BENCH_CREATE_WORKERS", "8"),
            sizes=sizes,
            baseline=Path(os.environ.get("BENCH_BASELINE") or output),
            articles=number("BENCH_ARTICLES", "5000"),
        )

    def at_size(self, tickets: int) -> Config:
        """The run at one of the sizes; with two, each size has a database of its own, so
        that neither reseeds the other's."""
        database = self.database if len(self.sizes) < 2 else f"{self.database}_{tickets}"
        return dataclasses.replace(self, tickets=tickets, database=database)


def ticket_sizes(raw: str) -> tuple[int, ...]:
    """BENCH_TICKETS: one size, or two separated by a comma, smaller first or not."""
    parts = [part.strip() for part in raw.split(",")]
    if not 1 <= len(parts) <= 2:
        raise SystemExit(f"bench: BENCH_TICKETS takes one size or two, got {raw!r}")
    sizes = []
    for part in parts:
        try:
            size = int(part.replace("_", ""))
        except ValueError:
            raise SystemExit(f"bench: BENCH_TICKETS must be numbers, got {raw!r}") from None
        if size < 1:
            raise SystemExit(f"bench: BENCH_TICKETS must be at least 1, got {raw!r}")
        sizes.append(size)
    if len(set(sizes)) != len(sizes):
        raise SystemExit(f"bench: BENCH_TICKETS names the same size twice, got {raw!r}")
    return tuple(sorted(sizes))


def say(message: str) -> None:
    print(f"bench: {message}", flush=True)


# -- The database and the server ---------------------------------------------------------------


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def ensure_database(server_url: str, name: str) -> None:
    import psycopg

    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise SystemExit(f"bench: BENCH_DATABASE must be a plain database name, got {name!r}")
    try:
        with psycopg.connect(_with_database(server_url, "postgres"), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
                say(f"created database {name}")
    except psycopg.OperationalError as error:
        where = urlsplit(server_url)
        raise SystemExit(
            f"bench: cannot reach PostgreSQL at {where.hostname}:{where.port or 5432}: "
            f"{str(error).strip().splitlines()[-1]}"
        ) from None


def manage(*args: str, env: dict[str, str]) -> None:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env)
    if result.returncode:
        raise SystemExit(f"bench: manage.py {' '.join(args)} failed ({result.returncode})")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn with WEB_WORKERS sync workers on a free loopback port; stopped by its pid."""

    def __init__(self, env: dict[str, str], workers: int = WEB_WORKERS):
        self.port = _free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "helpdesk.wsgi", "--workers", str(workers),
             "--bind", f"{LOOPBACK}:{self.port}", "--log-level", "warning"],
            cwd=BASE_DIR, env=env, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit("bench: gunicorn stopped at start; see its messages above")
            try:
                if request(self.port, "GET", "/bench/ceiling/").status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit("bench: gunicorn did not answer within 60 s")

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def peak_rss_mb(self) -> float | None:
        peaks = []
        for pid in self.worker_pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return round(max(peaks), 1) if peaks else None

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


# -- HTTP ------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float


def request(port: int, method: str, path: str, *, headers=None, body: bytes | None = None):
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=60)
    started = time.perf_counter()
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        elapsed = time.perf_counter() - started
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data,
                      elapsed)  # fmt: skip
    finally:
        connection.close()


@dataclass
class Persona:
    email: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Measured:
    p50_ms: float
    p95_ms: float
    queries: int | None
    requests: int
    rps: float | None = None
    due: int | None = None  # the sweep: how many tickets were due
    p99_ms: float | None = None

    def as_json(self) -> dict:
        out = {"p50_ms": self.p50_ms, "p95_ms": self.p95_ms, "queries": self.queries}
        if self.p99_ms is not None:
            out["p99_ms"] = self.p99_ms
        if self.rps is not None:
            out["rps"] = self.rps
        out["requests"] = self.requests
        if self.due is not None:
            out["tickets_due"] = self.due
        return out


class NotAvailable(Exception):
    pass


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))
    return ordered[index]


def _summary(seconds: list[float], queries: list[int], rps=None) -> Measured:
    return Measured(
        p50_ms=round(statistics.median(seconds) * 1000, 1),
        p95_ms=round(_percentile(seconds, 0.95) * 1000, 1),
        queries=max(queries) if queries else None,
        requests=len(seconds),
        rps=rps,
    )


class WebScenario:
    """One scenario against the server: how to send one request, and what answer is right."""

    def __init__(self, scenario: Scenario, port: int, persona: Persona, ticket: str):
        self.scenario, self.port, self.persona = scenario, port, persona
        self.path = scenario.path.replace("{ticket}", ticket)
        self.headers = dict(persona.headers)
        self.body: bytes | None = None
        self.expected = {200}
        if scenario.method == "POST" and scenario.persona == "api":
            self.headers["Content-Type"] = "application/json"
            self.body = scenario.body.encode()
            self.expected = {201}
        elif scenario.method == "POST":
            self._prepare_form()

    def _prepare_form(self) -> None:
        page = request(self.port, "GET", self.path, headers=self.headers)
        self._check(page, {200})
        html = page.body.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        category = re.search(r'<select name="category"[^>]*>.*?<option value="(\d+)"', html, re.S)
        cookie = re.search(r"csrftoken=([^;]+)", page.headers.get("set-cookie", ""))
        if not (token and category):
            raise NotAvailable(f"{self.path} shows no form with a category to choose")
        if cookie:
            self.headers["Cookie"] += f"; csrftoken={cookie.group(1)}"
        self.headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.headers["Referer"] = f"http://{LOOPBACK}:{self.port}{self.path}"
        from urllib.parse import urlencode

        self.body = urlencode({
            "csrfmiddlewaretoken": token.group(1), "category": category.group(1),
            "subject": "Printer offline", "description": "Measured by the benchmark.",
            "impact": "low", "urgency": "medium",
        }).encode()  # fmt: skip
        self.expected = {302}

    def _check(self, answer: Answer, expected: set[int]) -> None:
        if answer.status == 404:
            raise NotAvailable(f"{self.path} answers 404 (not routed yet)")
        if answer.status not in expected:
            detail = answer.body[:200].decode(errors="replace").strip().replace("\n", " ")
            raise NotAvailable(f"{self.path} answered {answer.status}, not {expected}: {detail}")

    def once(self) -> Answer:
        answer = request(self.port, self.scenario.method, self.path, headers=self.headers,
                         body=self.body)  # fmt: skip
        self._check(answer, self.expected)
        return answer

    def measure(self, config: Config) -> Measured:
        for _ in range(config.warmup):
            self.once()
        seconds, queries = [], []
        for _ in range(config.requests):
            answer = self.once()
            seconds.append(answer.seconds)
            if QUERY_HEADER.lower() in answer.headers:
                queries.append(int(answer.headers[QUERY_HEADER.lower()]))
        result = _summary(seconds, queries)
        if self.scenario.rps:
            result.rps = self.throughput(config)
        return result

    def throughput(self, config: Config) -> float:
        """Answers per second from `concurrency` clients, each sending as fast as answered."""
        done, failures = [0] * config.concurrency, []
        stop_at = time.monotonic() + config.duration

        def client(slot: int) -> None:
            while time.monotonic() < stop_at:
                try:
                    self.once()
                except (OSError, NotAvailable) as error:
                    failures.append(error)
                    return
                done[slot] += 1

        started = time.monotonic()
        threads = [threading.Thread(target=client, args=(n,)) for n in range(config.concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if failures:
            raise NotAvailable(f"under load: {failures[0]}")
        return round(sum(done) / (time.monotonic() - started), 1)


def measure_concurrent_creation(config: Config, env: dict[str, str], scenario: Scenario,
                                persona: Persona) -> dict:  # fmt: skip
    """`creators` clients, each posting the next ticket as soon as the last is answered, for
    `duration` seconds, against a server of `create_workers` workers. Tickets per second,
    the answers' p50/p95/p99, and whether the agency's references are still gap-free."""
    from tickets.models import Ticket, TicketCounter

    server = Server(env, workers=config.create_workers)
    try:
        creation = WebScenario(scenario, server.port, persona, "")
        creation.once()  # every worker's first answer pays for its imports, not the measure
        seconds: list[float] = []
        queries: list[int] = []
        references: list[str] = []
        failures: list[Exception] = []
        stop_at = time.monotonic() + config.duration

        def creator() -> None:
            while time.monotonic() < stop_at:
                try:
                    answer = creation.once()
                except (OSError, NotAvailable) as error:
                    failures.append(error)
                    return
                seconds.append(answer.seconds)
                references.append(json.loads(answer.body)["reference"])
                if QUERY_HEADER.lower() in answer.headers:
                    queries.append(int(answer.headers[QUERY_HEADER.lower()]))

        started = time.monotonic()
        threads = [threading.Thread(target=creator) for _ in range(config.creators)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    if failures:
        raise NotAvailable(f"under load: {failures[0]}")
    result = _summary(seconds, queries, rps=round(len(seconds) / elapsed, 1))
    result.p99_ms = round(_percentile(seconds, 0.99) * 1000, 1)
    code = references[0].rsplit("-", 1)[0]
    counter = TicketCounter.objects.get(agency__code=code)
    # By reference, not by agency: a transferred ticket keeps the number it was given.
    numbered = Ticket.objects.filter(reference__startswith=f"{code}-").count()
    return {
        **result.as_json(),
        "creators": config.creators,
        "workers": config.create_workers,
        "duplicates": len(references) - len(set(references)),
        # Every number up to the counter's is a ticket of the agency: no gap, no duplicate.
        "gap_free": numbered == counter.last_number,
    }


# -- Personas, and what is measured in this process --------------------------------------------


def personas_and_ticket(env: dict[str, str]) -> tuple[dict[str, Persona | str], str]:
    """Sessions for the requester, the agent and the Council member; an API token; and the
    ticket with the most events in the agent's agency. Values that are strings are reasons a
    persona is not available."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db.models import Count, Q

    from accounts.models import User
    from accounts.selectors import agents_of_agency_only, council_members, requesters_of_agency
    from bench.seeding import LONG_STORY_EVERY
    from tickets.models import Ticket

    long_ids = [i + 1 for i in range(7, Ticket.objects.count(), LONG_STORY_EVERY)]
    long_ticket = (
        Ticket.objects.filter(pk__in=long_ids).annotate(n=Count("events")).order_by("-n").first()
    )
    if long_ticket is None:
        raise SystemExit("bench: the database holds no long ticket; reseed with BENCH_TICKETS>=8")
    agency_id = long_ticket.agency_id
    open_statuses = ~Q(assigned_tickets__status__in=Ticket.CLOSED_STATUSES)
    agent = (
        agents_of_agency_only(agency_id)
        .annotate(n=Count("assigned_tickets", filter=open_statuses))
        .order_by("-n", "pk")
        .first()
    )
    requester = (
        requesters_of_agency(agency_id)
        .annotate(n=Count("requested_tickets"))
        .order_by("-n", "pk")
        .first()
    )
    council = council_members().first()

    def session_for(user: User) -> Persona:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        return Persona(
            user.email, {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}"}
        )

    personas: dict[str, Persona | str] = {
        "requester": session_for(requester),
        "agent": session_for(agent),
        "council": session_for(council),
        "anonymous": Persona("", {}),
    }
    saved_view_ensure(agent)
    personas["api"] = api_persona(agent.email, env)
    return personas, long_ticket.reference


def saved_view_ensure(agent) -> None:
    """The agent's saved view, saved through the workspace's service unless a run before
    this one saved it in this database."""
    from accounts.selectors import membership_current_for
    from workspace.models import SavedView
    from workspace.services import saved_view_create

    if not SavedView.objects.filter(owner=agent, name=SAVED_VIEW_NAME).exists():
        membership, _memberships = membership_current_for(agent, None)
        saved_view_create(owner=agent, membership=membership, name=SAVED_VIEW_NAME,
                          query=SAVED_VIEW_QUERY)  # fmt: skip


def api_persona(email: str, env: dict[str, str]) -> Persona | str:
    """A token from `manage.py create_api_token EMAIL` (issue 7), whose last line is the key."""
    result = subprocess.run(
        [sys.executable, "manage.py", "create_api_token", email, "--name", "benchmark"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True,
    )  # fmt: skip
    if result.returncode:
        reason = (result.stderr.strip().splitlines() or ["no message"])[-1]
        return f"create_api_token failed: {reason}"
    key = result.stdout.strip().splitlines()[-1].strip()
    return Persona(email, {"Authorization": f"Token {key}", "Accept": "application/json"})


def measure_sweep(config: Config) -> Measured:
    """The escalation sweep with `sweep_due` tickets due: it runs at the moment the
    sweep_due-th soonest escalation falls due, in a transaction rolled back after each run,
    so every run finds the same tickets due."""
    from django.db import transaction

    from bench.middleware import queries_counted
    from tickets.escalation import escalation_sweep
    from tickets.models import Ticket

    coming = Ticket.objects.filter(next_escalation_at__isnull=False)
    # A small database may have fewer escalations to come: then all of them are due.
    due = min(config.sweep_due, coming.count())
    if due == 0:
        raise NotAvailable("no open ticket has an escalation to come")
    moments = coming.order_by("next_escalation_at").values_list("next_escalation_at", flat=True)
    due_at = moments[due - 1 : due].first()
    seconds, queries = [], []
    for _ in range(config.sweep_runs):
        with queries_counted() as captured:
            try:
                with transaction.atomic():
                    started = time.perf_counter()
                    escalation_sweep(now=due_at)
                    seconds.append(time.perf_counter() - started)
                    raise _RollBack
            except _RollBack:
                pass
        queries.append(captured[0])
    result = _summary(seconds, queries)
    result.due = due
    return result


class _RollBack(Exception):
    pass


def measure_rollups(config: Config) -> Measured:
    """The rollup refresh after `changes` tickets changed: an internal note on each, through
    the services, then the reports app's processing of the pending refreshes (timed).

    Each note is published as any other, but sends no e-mail (`quiet=Quiet.EMAIL`). The
    reports app's share of it waits for a worker, and the benchmark runs none: the refresh
    timed here is that worker's work.
    """
    from bench.middleware import queries_counted
    from bench.seeding import ROLLUP_REFRESH, reports_function
    from tickets.events import Quiet
    from tickets.models import Ticket
    from tickets.services import ticket_reply

    refresh, reason = reports_function(ROLLUP_REFRESH)
    if refresh is None:
        raise NotAvailable(reason)
    refresh()  # whatever the web scenarios left pending
    tickets = list(Ticket.objects.open().exclude(assignee=None).order_by("pk")[: config.changes])
    for ticket in tickets:
        ticket_reply(ticket=ticket, author=ticket.assignee, body="Checked again.",
                     internal=True, as_agent=True, quiet=Quiet.EMAIL)  # fmt: skip
    with queries_counted() as captured:
        started = time.perf_counter()
        refreshed = refresh()
        elapsed = time.perf_counter() - started
    if refreshed < len(tickets):
        raise NotAvailable(f"only {refreshed} of {len(tickets)} changed tickets were pending")
    return _summary([elapsed], [captured[0]])


def profile_slowest(results: dict, scenarios: dict[str, WebScenario], output: Path) -> Path | None:
    """A pyinstrument profile of the slowest page, served in this process by Django's test
    client with the same session, for the note on where the time goes."""
    from django.test import Client
    from pyinstrument import Profiler

    measured = {k: v for k, v in results.items() if k in scenarios and "p95_ms" in v}
    if not measured:
        return None
    key = max(measured, key=lambda k: measured[k]["p95_ms"])
    scenario = scenarios[key]
    client = Client(HTTP_HOST=LOOPBACK)
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in scenario.headers.items()
             if k.lower() not in ("cookie", "content-type")}  # fmt: skip
    for part in scenario.headers.get("Cookie", "").split(";"):
        if "=" in part:
            name, value = part.strip().split("=", 1)
            client.cookies[name] = value
    method = client.get if scenario.scenario.method == "GET" else client.post
    kwargs = {}
    if scenario.body is not None:
        kwargs = {"data": scenario.body, "content_type": scenario.headers.get("Content-Type")}
    method(scenario.path, **kwargs, **extra)  # warm
    profiler = Profiler()
    profiler.start()
    for _ in range(20):
        method(scenario.path, **kwargs, **extra)
    profiler.stop()
    output.parent.mkdir(parents=True, exist_ok=True)
    path = output.parent / f"profile-{key}.html"
    path.write_text(profiler.output_html())
    return path


# -- Output ----------------------------------------------------------------------------------


def machine() -> str:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor() or platform.machine(),
    )  # fmt: skip
    memory_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )  # fmt: skip
    return (
        f"{os.cpu_count()} cores {cpu}, {memory_kb / 1024 / 1024:.0f} GB RAM, "
        f"{platform.system()} {platform.machine()}, Python {platform.python_version()}"
    )


def markdown_table(report: dict) -> str:
    lines = [
        f"{report['tickets']:,} tickets, {report['date']}, {report['machine']}, "
        f"PostgreSQL {report.get('postgresql', '?')}, load average {report.get('load_average')} "
        f"at the start; web worker peak RSS {report.get('worker_peak_rss_mb') or '?'} MB.",
        "",
        "| scenario | p50 ms | p95 ms | SQL queries | requests/s | target p95 |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for key in RESULT_KEYS:
        result = report["results"].get(key, {})
        target = TARGET_P95_MS.get(key, 100)
        target_text = f"< {target} ms" if target else ""
        if key == "agent_queue":
            target_text += ", >= 150 rps"
        if key == CONCURRENT_CREATION and "p99_ms" in result:
            target_text = (f"{result['creators']} creators, {result['workers']} workers, "
                           f"p99 {result['p99_ms']} ms")  # fmt: skip
        if "p50_ms" not in result:
            lines.append(f"| {key} | not available: {result.get('reason', '')} | | | | |")
            continue
        rps = result.get("rps")
        lines.append(
            f"| {key} | {result['p50_ms']} | {result['p95_ms']} | {result['queries']} "
            f"| {rps if rps is not None else ''} | {target_text} |"
        )
    return "\n".join(lines)


def growth(smaller: dict, larger: dict) -> dict:
    """For each scenario measured at both sizes, its p95 at the larger size over its p95 at
    the smaller; above GROWING_RATIO it grows with the data."""
    ratios, growing = {}, []
    for key in RESULT_KEYS:
        before = smaller["results"].get(key, {}).get("p95_ms")
        after = larger["results"].get(key, {}).get("p95_ms")
        if before is None or after is None:
            continue
        ratio = round(after / before, 2) if before > 0 else None
        ratios[key] = {"p95_ms": [before, after], "ratio": ratio}
        if ratio is None or ratio > GROWING_RATIO:
            growing.append(key)
    return {
        "tickets": [smaller["tickets"], larger["tickets"]],
        "ratios": ratios,
        "growing": growing,
    }


def growth_table(report: dict) -> str:
    small, large = report["tickets"]
    lines = [
        f"p95 at {large:,} tickets over p95 at {small:,}; above {GROWING_RATIO} grows:",
        "",
        f"| scenario | p95 ms at {small:,} | p95 ms at {large:,} | ratio | |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for key, row in report["ratios"].items():
        before, after = row["p95_ms"]
        ratio = "" if row["ratio"] is None else f"{row['ratio']}x"
        verdict = "growing" if key in report["growing"] else ""
        lines.append(f"| {key} | {before} | {after} | {ratio} | {verdict} |")
    return "\n".join(lines)


def baseline_at(baseline: dict, tickets: int) -> dict | None:
    """The baseline's results at this size: its own, or those of its smaller size."""
    for candidate in (baseline, baseline.get("smaller") or {}):
        if candidate.get("tickets") == tickets and isinstance(candidate.get("results"), dict):
            return candidate
    return None


def regressions(baseline: dict, report: dict) -> dict:
    """Every scenario whose p95 is more than SLOWER_SHARE above the baseline's at the same
    size. Sizes differ: nothing is compared, and the report says so."""
    before = baseline_at(baseline, report["tickets"])
    if before is None:
        reason = f"the baseline holds no run at {report['tickets']:,} tickets"
        return {"tickets": report["tickets"], "compared": False, "reason": reason}
    slower = {}
    for key in RESULT_KEYS:
        was = before["results"].get(key, {}).get("p95_ms")
        now = report["results"].get(key, {}).get("p95_ms")
        if was is None or now is None or now <= was * (1 + SLOWER_SHARE):
            continue
        change = f"+{round((now / was - 1) * 100)}%" if was > 0 else "new cost"
        slower[key] = {"baseline_p95_ms": was, "p95_ms": now, "change": change}
    compared = {"tickets": report["tickets"], "compared": True, "baseline_date": before.get("date"),
                "slower": slower}  # fmt: skip
    if before.get("machine") and before.get("machine") != report.get("machine"):
        # Another processor is slower or faster at everything: the report says so beside the
        # names, since a difference may be the machine's and not the code's.
        compared["baseline_machine"] = before["machine"]
    return compared


def regression_lines(report: dict) -> str:
    if not report["compared"]:
        return f"Regressions at {report['tickets']:,} tickets: not compared, {report['reason']}."
    if not report["slower"]:
        return (f"Regressions at {report['tickets']:,} tickets: none more than "
                f"{round(SLOWER_SHARE * 100)}% slower than the baseline of "
                f"{report['baseline_date']}.")  # fmt: skip
    names = ", ".join(
        f"{key} {row['change']} ({row['baseline_p95_ms']} -> {row['p95_ms']} ms)"
        for key, row in report["slower"].items()
    )
    other = report.get("baseline_machine")
    machine = (
        f" The baseline ran on another machine ({other}): compare on one machine." if other else ""
    )
    return (f"Regressions at {report['tickets']:,} tickets, more than "
            f"{round(SLOWER_SHARE * 100)}% slower than the baseline of "
            f"{report['baseline_date']}: {names}.{machine}")  # fmt: skip


def read_baseline(path: Path | None) -> dict:
    """The committed results, or nothing to compare with when there are none or they are
    not results."""
    if path is None or not path.exists():
        return {}
    try:
        baseline = json.loads(path.read_text())
    except (OSError, ValueError):
        say(f"baseline {path} is not readable JSON; nothing to compare with")
        return {}
    return baseline if isinstance(baseline, dict) else {}


# -- The run ---------------------------------------------------------------------------------


def environment(bench_url: str, static_root: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": bench_url,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        # Production's settings, on plain HTTP on loopback, with no mail leaving.
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or RUN_SECRET_KEY,
        "ALLOWED_HOSTS": f"{LOOPBACK},localhost",
        "SECURE_SSL_REDIRECT": "0",
        "REQUIRE_MFA_FOR_STAFF": "0",
        "EMAIL_URL": "locmem://",
        "CACHE_KEY_PREFIX": "govdesk-bench",
        "CELERY_QUEUE": "govdesk-bench",
        # The load test sends far more than a person would: no 429 in the middle of it.
        "API_THROTTLE_RATE": "1000000/minute",
        "BENCH_STATIC_ROOT": static_root,
        "PYTHONPATH": str(BASE_DIR),
    }


def run(config: Config) -> dict:
    server_url = os.environ.get("DATABASE_URL")
    if not server_url:
        raise SystemExit("bench: DATABASE_URL is not set (make bench sets it, or give one)")
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("bench: REDIS_URL is not set (make bench sets it, or give one)")
    ensure_database(server_url, config.database)
    bench_url = _with_database(server_url, config.database)
    static_root = os.environ.get("BENCH_STATIC_ROOT") or str(BASE_DIR / ".devdata/bench-static")
    env = environment(bench_url, static_root)
    os.environ.update(env)
    manage("migrate", "--no-input", "-v", "0", env=env)

    import django

    django.setup()
    from django.db import connection

    from bench import seeding

    use_database(config.database)

    recorded = seeding.recorded_seed()
    if recorded and (recorded["tickets"], recorded["seed"]) == (config.tickets, config.seed):
        say(f"reusing {config.database}: {config.tickets:,} tickets, seed {config.seed}")
    else:
        say(f"seeding {config.database} with {config.tickets:,} tickets, seed {config.seed}")
        manage("seed_bench", "--tickets", str(config.tickets), "--seed", str(config.seed),
               "--reset", env=env)  # fmt: skip
    # A reused database seeded before the knowledge base existed gets its articles too.
    seeding.seed_articles(seed_value=config.seed, progress=say, count=config.articles)
    # Measured as a running database is, after autovacuum has passed: rows written by COPY are
    # not yet marked visible, and every index-only read would visit the table. Quick once done.
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    say(f"vacuumed {config.database} in {time.monotonic() - started:.0f} s")
    manage("collectstatic", "--no-input", "-v", "0", env=env)
    connection.close()
    personas, ticket = personas_and_ticket(env)
    report = {
        "tickets": config.tickets,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        # Other work on the machine shares its cores with the server and the clients.
        "load_average": round(os.getloadavg()[0], 2),
        "results": {},
    }
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        report["postgresql"] = cursor.fetchone()[0].split()[0]
    results = report["results"]
    server = Server(env)
    web: dict[str, WebScenario] = {}
    try:
        for scenario in SCENARIOS:
            persona = personas[scenario.persona]
            try:
                if isinstance(persona, str):
                    raise NotAvailable(persona)
                web[scenario.key] = WebScenario(scenario, server.port, persona, ticket)
                results[scenario.key] = web[scenario.key].measure(config).as_json()
            except NotAvailable as error:
                results[scenario.key] = {"available": False, "reason": str(error)}
            say(f"{scenario.key}: {results[scenario.key]}")
        report["worker_peak_rss_mb"] = server.peak_rss_mb()
    finally:
        server.stop()
    try:
        persona = personas["api"]
        if isinstance(persona, str):
            raise NotAvailable(persona)
        api_create = next(s for s in SCENARIOS if s.key == "api_create")
        results[CONCURRENT_CREATION] = measure_concurrent_creation(config, env, api_create, persona)
    except NotAvailable as error:
        results[CONCURRENT_CREATION] = {"available": False, "reason": str(error)}
    say(f"{CONCURRENT_CREATION}: {results[CONCURRENT_CREATION]}")
    for key, measure in (("sla_sweep", measure_sweep), ("rollup_refresh", measure_rollups)):
        try:
            results[key] = measure(config).as_json()
        except NotAvailable as error:
            results[key] = {"available": False, "reason": str(error)}
        say(f"{key}: {results[key]}")
    report["results"] = {key: results[key] for key in RESULT_KEYS}
    _forget_queued_tasks()
    if config.profile:
        path = profile_slowest(results, web, config.output)
        if path:
            report["profile"] = str(path.relative_to(BASE_DIR) if path.is_relative_to(BASE_DIR)
                                    else path)  # fmt: skip
            say(f"profile of the slowest page: {path}")
    return report


def use_database(name: str) -> None:
    """This process's own queries (the personas' sessions, the sweep, the refresh) go to the
    size's database: settings were read once, at the first size's."""
    from django.conf import settings
    from django.db import connections

    connection = connections["default"]
    connection.close()
    settings.DATABASES["default"]["NAME"] = name
    connection.settings_dict["NAME"] = name


def _forget_queued_tasks() -> None:
    """No worker serves the benchmark's queue: the tasks its changes queued are dropped."""
    from django.conf import settings
    from django.core.cache import cache

    cache._cache.get_client(write=True).delete(settings.CELERY_TASK_DEFAULT_QUEUE)


def main() -> int:
    config = Config.from_env()
    baseline = read_baseline(config.baseline)
    reports = []
    for tickets in config.sizes:
        report = run(config.at_size(tickets))
        report["regressions"] = regressions(baseline, report)
        reports.append(report)
    final = reports[-1]
    if len(reports) == 2:
        final["smaller"] = reports[0]
        final["growth"] = growth(reports[0], reports[1])
    config.output.parent.mkdir(parents=True, exist_ok=True)
    config.output.write_text(json.dumps(final, indent=2) + "\n")
    say(f"wrote {config.output}")
    for report in reports:
        print()
        print(markdown_table(report))
    if "growth" in final:
        print()
        print(growth_table(final["growth"]))
    print()
    for report in reports:
        print(regression_lines(report["regressions"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
