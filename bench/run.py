"""`make bench`: seeds a benchmark government if needed, serves it with gunicorn on loopback,
measures every scenario signed in as the right persona, and writes bench/results/latest.json.

    DATABASE_URL=postgres://... REDIS_URL=redis://... python -m bench.run

The database named by DATABASE_URL is never touched: the benchmark uses another database on
the same server (BENCH_DATABASE, default govdesk_bench), and reuses it when it already holds
BENCH_TICKETS tickets seeded with BENCH_SEED. Settings, all from the environment:

    BENCH_TICKETS (100000)  BENCH_SEED (1)  BENCH_REQUESTS (60, at least 50 for real figures)
    BENCH_WARMUP (5)  BENCH_CONCURRENCY (8)  BENCH_DURATION (20 s)  BENCH_SWEEP_DUE (1000)
    BENCH_SWEEP_RUNS (3)  BENCH_CHANGES (1000)  BENCH_OUTPUT (bench/results/latest.json)
    BENCH_PROFILE (0; 1 writes a pyinstrument profile of the slowest page next to the output)
    BENCH_CREATORS (16)  BENCH_CREATE_WORKERS (8): concurrent ticket creation, for BENCH_DURATION

A scenario whose part of GovDesk is missing (an app not merged yet) is reported as not
available, with the reason, and the others are measured.
"""

from __future__ import annotations

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


# -- What is measured: one line per scenario ---------------------------------------------------


@dataclass
class Scenario:
    key: str
    persona: str  # requester, agent, council, api, anonymous
    method: str
    path: str  # {ticket}: the reference of the ticket with about 50 events
    rps: bool = False
    body: str = ""  # web: a form, filled in by run_form; api: JSON


SCENARIOS = [
    Scenario("requester_home", "requester", "GET", "/tickets/"),
    Scenario("ticket_create_web", "requester", "POST", "/tickets/new/", body="form"),
    Scenario("agent_queue", "agent", "GET", "/queue/", rps=True),
    Scenario("agent_queue_filtered", "agent", "GET", "/queue/?view=all&status=open&priority=P3"),
    Scenario("agent_search", "agent", "GET", "/queue/?view=all&q=printer"),
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

        return cls(
            tickets=number("BENCH_TICKETS", "100000"),
            seed=number("BENCH_SEED", "1", minimum=0),
            requests=number("BENCH_REQUESTS", "60"),
            warmup=number("BENCH_WARMUP", "5", minimum=0),
            concurrency=number("BENCH_CONCURRENCY", "8"),
            duration=number("BENCH_DURATION", "20", kind=float),
            sweep_due=number("BENCH_SWEEP_DUE", "1000"),
            sweep_runs=number("BENCH_SWEEP_RUNS", "3"),
            changes=number("BENCH_CHANGES", "1000"),
            output=Path(os.environ.get("BENCH_OUTPUT") or BASE_DIR / "bench/results/latest.json"),
            profile=os.environ.get("BENCH_PROFILE", "0") not in ("", "0"),
            database=os.environ.get("BENCH_DATABASE") or "govdesk_bench",
            creators=number("BENCH_CREATORS", "16"),
            create_workers=number("BENCH_CREATE_WORKERS", "8"),
        )


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
    personas["api"] = api_persona(agent.email, env)
    return personas, long_ticket.reference


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


# -- The run ---------------------------------------------------------------------------------


def environment(bench_url: str, static_root: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": bench_url,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        # Production's settings, on plain HTTP on loopback, with no mail leaving.
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(64),
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

    recorded = seeding.recorded_seed()
    if recorded and (recorded["tickets"], recorded["seed"]) == (config.tickets, config.seed):
        say(f"reusing {config.database}: {config.tickets:,} tickets, seed {config.seed}")
    else:
        say(f"seeding {config.database} with {config.tickets:,} tickets, seed {config.seed}")
        manage("seed_bench", "--tickets", str(config.tickets), "--seed", str(config.seed),
               "--reset", env=env)  # fmt: skip
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


def _forget_queued_tasks() -> None:
    """No worker serves the benchmark's queue: the tasks its changes queued are dropped."""
    from django.conf import settings
    from django.core.cache import cache

    cache._cache.get_client(write=True).delete(settings.CELERY_TASK_DEFAULT_QUEUE)


def main() -> int:
    config = Config.from_env()
    report = run(config)
    config.output.parent.mkdir(parents=True, exist_ok=True)
    config.output.write_text(json.dumps(report, indent=2) + "\n")
    say(f"wrote {config.output}")
    print()
    print(markdown_table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
