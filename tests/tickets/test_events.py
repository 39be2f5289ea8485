"""The ticket event feed: every subscriber acts on each kind of event once the change has
committed, a Redis outage delays the work and loses none, `quiet` silences what it says, and
the escalation sweep hands each subscriber its whole batch at once."""

import dataclasses
import logging
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import Role
from core.broker import broker_reset
from core.models import PendingWork, SchedulerHeartbeat
from core.pending_work import pending_work_drain
from core.tasks import drain_pending_work, record_scheduler_heartbeat
from incidents.services import incident_declare
from mail.models import Outbox
from notifications.models import Kind, Notice
from reports.models import ReportFact
from reports.services import rollups_refresh_pending
from tests.factories import MembershipFactory, UserFactory

# Shared fixtures: `name as name` tells the linter pytest uses them.
from tests.notifications.conftest import _empty_queue as _empty_queue
from tests.notifications.conftest import celery_broker as celery_broker
from tests.notifications.conftest import teams_told
from tests.notifications.conftest import throwaway_broker as throwaway_broker
from tests.tickets.test_sla_clock import government_service_levels as government_service_levels
from tests.tickets.test_sla_clock import ticket_at as ticket_at
from tickets import events as events_module
from tickets import services
from tickets.escalation import escalation_sweep
from tickets.events import Quiet, subscriber_topic
from tickets.models import Ticket, TicketEvent
from webhooks.services import webhook_create

MONROVIA = ZoneInfo("Africa/Monrovia")
NOTIFICATIONS, WEBHOOKS = subscriber_topic("notifications"), subscriber_topic("webhooks")
# The receiving team of a new or transferred ticket is told by a worker.
NOTIFICATIONS_TEAM = subscriber_topic("notifications_team")
CHANNELS, KNOWLEDGE = subscriber_topic("channels"), subscriber_topic("knowledge")
SATISFACTION = subscriber_topic("satisfaction")
REPORTS, INCIDENTS = subscriber_topic("reports"), subscriber_topic("incidents")


def at(*parts):
    return datetime(*parts, tzinfo=MONROVIA)


# -- People, tickets and what they were told -------------------------------------------------


@pytest.fixture
def desk(mof_service_desk, mof_agent):
    """MOF's intake team, of one agent, taking tickets from the queue."""
    mof_service_desk.members.add(mof_agent)
    return mof_service_desk


@pytest.fixture
def nicta_head(nicta):
    user = UserFactory(email="head@nicta.gov.test", full_name="Nyema Flomo")
    MembershipFactory(user=user, agency=nicta, role=Role.AGENCY_ADMIN)
    return user


@pytest.fixture
def nicta_agent(nicta):
    user = UserFactory(email="agent@nicta.gov.test", full_name="Korto Williams")
    MembershipFactory(user=user, agency=nicta, role=Role.AGENT)
    return user


@pytest.fixture
def ticket(desk, mof_requester, printer_category, open_ticket, django_capture_on_commit_callbacks):
    """MOF-000001, reported and told of, with no work left waiting."""
    with django_capture_on_commit_callbacks(execute=True):
        ticket = open_ticket(mof_requester, printer_category)
    with django_capture_on_commit_callbacks(execute=True):
        teams_told()
    rollups_refresh_pending()
    assert not PendingWork.objects.exists()
    return ticket


@pytest.fixture
def endpoint(settings, mof, mof_head):
    settings.GOVDESK_WEBHOOK_ALLOW_PRIVATE_URLS = True
    endpoint, _secret = webhook_create(
        agency=mof,
        url="http://127.0.0.1:9/govdesk/events",
        events=["ticket.commented", "ticket.updated"],
        actor=mof_head,
    )
    return endpoint


def notices(user, event) -> list[str]:
    return sorted(Notice.objects.filter(user=user, event=event).values_list("kind", flat=True))


def emailed(user, event) -> bool:
    return Outbox.objects.filter(
        channel=Outbox.Channel.EMAIL, dedupe_key=f"event:{event.pk}:user:{user.pk}:email"
    ).exists()


def webhooked(endpoint, event) -> bool:
    return Outbox.objects.filter(
        channel=Outbox.Channel.WEBHOOK, dedupe_key=f"event:{event.pk}:webhook:{endpoint.pk}"
    ).exists()


def facts(ticket) -> list[tuple]:
    return list(
        ReportFact.objects.filter(ticket=ticket)
        .order_by("kind", "day", "pk")
        .values_list("pk", "kind", "agency_id", "day", "priority")
    )


def pending_topics() -> list[str]:
    return sorted(PendingWork.objects.values_list("topic", flat=True))


def wait_until(condition, worker, *, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not condition():
        assert worker.poll() is None, "the worker exited"
        time.sleep(0.2)
    assert condition()


def agent_reply(ticket, agent, **arguments) -> TicketEvent:
    return services.ticket_reply(
        ticket=ticket, author=agent, body="Restart it, please.", as_agent=True, **arguments
    )


# -- Each subscriber, after the commit -------------------------------------------------------


def test_it_tells_nobody_before_the_commit_and_leaves_the_work_recorded(
    ticket, mof_agent, mof_requester
):
    event = agent_reply(ticket, mof_agent)  # the test's transaction never commits

    assert notices(mof_requester, event) == []
    # One row per subscriber of each event (the reply, then the status it opened), none
    # for the incidents subscriber, which hears of new tickets only; the knowledge base
    # hears of the reply (an article it links), satisfaction of the status (a resolution).
    assert pending_topics() == sorted(
        [NOTIFICATIONS, WEBHOOKS, REPORTS, CHANNELS] * 2 + [KNOWLEDGE, SATISFACTION]
    )
    payloads = PendingWork.objects.filter(topic=NOTIFICATIONS).values_list("payload", flat=True)
    assert {"subscriber": "notifications", "events": [event.pk], "quiet": "none"} in payloads

    assert pending_work_drain() == 10  # the periodic drain, as after a lost callback

    assert notices(mof_requester, event) == [Kind.AGENT_REPLY]
    assert emailed(mof_requester, event)
    assert not PendingWork.objects.exists()


def test_it_tells_the_requester_of_a_reply(
    ticket, mof_agent, mof_requester, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        event = agent_reply(ticket, mof_agent)

    assert notices(mof_requester, event) == [Kind.AGENT_REPLY]
    assert emailed(mof_requester, event)
    assert notices(mof_agent, event) == []  # never the person who acted


def test_it_tells_the_requester_of_a_resolution(
    ticket, mof_agent, mof_requester, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_update(ticket=ticket, actor=mof_agent, status=Ticket.Status.RESOLVED)

    event = TicketEvent.objects.get(ticket=ticket, kind="status", data__new="resolved")
    assert notices(mof_requester, event) == [Kind.RESOLVED]
    assert emailed(mof_requester, event)


def test_it_tells_the_agent_of_an_assignment(
    ticket, mof_agent, mof_head, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_assign(ticket=ticket, assignee=mof_agent, actor=mof_head)

    event = TicketEvent.objects.get(ticket=ticket, kind="assignee", data__new=mof_agent.email)
    assert notices(mof_agent, event) == [Kind.ASSIGNED]
    assert emailed(mof_agent, event)


def test_it_tells_the_receiving_agency_and_the_requester_of_a_transfer(
    ticket, nicta, nicta_head, mof_agent, mof_requester, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_transfer(
            ticket=ticket, to_agency=nicta, reason="Government e-mail is NICTA's", actor=mof_agent
        )
    with django_capture_on_commit_callbacks(execute=True):
        teams_told()

    event = TicketEvent.objects.get(ticket=ticket, kind="transfer")
    assert notices(nicta_head, event) == [Kind.TRANSFERRED]
    assert notices(mof_requester, event) == [Kind.TRANSFERRED]
    assert emailed(nicta_head, event) and emailed(mof_requester, event)


def test_it_writes_a_webhook_for_a_subscribed_endpoint_only(
    ticket, endpoint, mof, mof_head, mof_agent, django_capture_on_commit_callbacks
):
    other, _secret = webhook_create(
        agency=mof, url="http://127.0.0.1:9/other", events=["ticket.created"], actor=mof_head
    )
    with django_capture_on_commit_callbacks(execute=True):
        event = agent_reply(ticket, mof_agent)

    assert webhooked(endpoint, event)
    assert not webhooked(other, event)
    row = Outbox.objects.get(dedupe_key=f"event:{event.pk}:webhook:{endpoint.pk}")
    assert (row.subject, row.to_address) == ("ticket.commented", endpoint.url)


def test_it_refreshes_the_facts_of_the_changed_ticket(
    ticket, mof_agent, django_capture_on_commit_callbacks
):
    assert [fact[1] for fact in facts(ticket)] == ["created"]
    with django_capture_on_commit_callbacks(execute=True):
        agent_reply(ticket, mof_agent)
        services.ticket_update(ticket=ticket, actor=mof_agent, status=Ticket.Status.RESOLVED)

    # A task subscriber: the commit only sends a message, which no worker reads here.
    assert [fact[1] for fact in facts(ticket)] == ["created"]
    assert set(pending_topics()) == {REPORTS}

    assert rollups_refresh_pending() == 3  # the reply, its opening, the resolution

    assert {fact[1] for fact in facts(ticket)} >= {"created", "response", "resolved"}
    assert not PendingWork.objects.exists()


def test_it_attaches_a_new_ticket_to_the_open_major_incident_and_tells_its_reporter(
    nicta_agent, nicta_email_team, email_category, mof_requester, open_ticket,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_declare(
            actor=nicta_agent, category=email_category, subject="Government e-mail is down",
            description="No message leaves or arrives.",
        )  # fmt: skip
        ticket = open_ticket(mof_requester, email_category, subject="Cannot send e-mail")
    # A creation's subscribers run in the worker, a moment after the commit.
    assert Ticket.objects.get(pk=ticket.pk).parent_id is None
    with django_capture_on_commit_callbacks(execute=True):
        drain_pending_work()

    ticket.refresh_from_db()
    assert ticket.parent == incident
    event = TicketEvent.objects.get(ticket=ticket, kind="incident", data__action="attached")
    assert notices(mof_requester, event) == [Kind.INCIDENT]
    assert emailed(mof_requester, event)


def test_it_keeps_a_failing_subscribers_row_and_does_the_others_at_once(
    ticket, endpoint, mof_agent, mof_requester, monkeypatch, django_capture_on_commit_callbacks
):
    def refuse(events, quiet):
        raise RuntimeError("the systems' outbox is full")

    webhooks = events_module._subscribers["webhooks"]
    monkeypatch.setitem(
        events_module._subscribers, "webhooks", dataclasses.replace(webhooks, handler=refuse)
    )
    with django_capture_on_commit_callbacks(execute=True):
        reply = agent_reply(ticket, mof_agent)

    # The inline subscribers' one pass failed and was undone; each was then called alone.
    assert notices(mof_requester, reply) == [Kind.AGENT_REPLY]
    assert emailed(mof_requester, reply)
    assert set(pending_topics()) == {REPORTS, WEBHOOKS}
    # The reply's row, and the status's it opened.
    rows = PendingWork.objects.filter(topic=WEBHOOKS)
    assert rows.count() == 2
    assert {(row.attempts, row.last_error) for row in rows} == {
        (1, "RuntimeError: the systems' outbox is full")
    }


@pytest.mark.worker
@pytest.mark.xdist_group("worker")
def test_it_refreshes_the_facts_on_the_real_worker_after_the_commit(
    celery_worker_process, desk, mof_agent, mof_requester, printer_category, open_ticket
):
    ticket = open_ticket(mof_requester, printer_category)
    agent_reply(ticket, mof_agent)  # committed: its refresh is a message to the worker

    wait_until(
        lambda: (
            ReportFact.objects.filter(ticket=ticket, kind="response").exists()
            and not PendingWork.objects.exists()
        ),
        celery_worker_process,
    )
    assert [fact[1] for fact in facts(ticket)] == ["created", "response"]
    # The people were told in this process, at once.
    event = TicketEvent.objects.get(ticket=ticket, kind="reply")
    assert notices(mof_requester, event) == [Kind.AGENT_REPLY]


# -- A Redis outage --------------------------------------------------------------------------


@pytest.fixture
def outage(throwaway_broker, celery_broker):
    """The broker of this process is a Redis of the test's own, stopped."""
    celery_broker(throwaway_broker.url)
    throwaway_broker.stop()
    return throwaway_broker


def others_told(ticket):
    """Who was told of what, but of the ticket's creation, which the worker tells after the
    outage (its team, and its requester's acknowledgement)."""
    notices = Notice.objects.filter(ticket=ticket).exclude(
        kind__in=[Kind.TICKET_CREATED, Kind.RECEIVED]
    )
    return notices.values_list("user", "event", "kind")


def change_during_outage(mof_agent, mof_requester, printer_category, open_ticket, caplog):
    caplog.set_level(logging.INFO, logger="core.broker")
    ticket = open_ticket(mof_requester, printer_category)
    event = agent_reply(ticket, mof_agent)

    assert Ticket.objects.filter(pk=ticket.pk).exists()  # committed all the same
    assert TicketEvent.objects.filter(pk=event.pk).exists()
    # The reply's people were told in this process; the facts and all the creation's
    # subscribers wait for a worker the broker cannot reach.
    assert notices(mof_requester, event) == [Kind.AGENT_REPLY]
    assert set(pending_topics()) == {
        REPORTS,
        NOTIFICATIONS_TEAM,
        NOTIFICATIONS,
        WEBHOOKS,
        INCIDENTS,
    }
    assert facts(ticket) == []
    assert any(
        r.getMessage().startswith("Broker unavailable; core.tasks.drain_pending_work")
        for r in caplog.records
    )
    return ticket, event


@pytest.mark.django_db(transaction=True)
def test_it_does_the_work_an_outage_left_once_however_often_the_drain_runs(
    outage, desk, mof_agent, mof_requester, printer_category, open_ticket, caplog
):
    ticket, _event = change_during_outage(
        mof_agent, mof_requester, printer_category, open_ticket, caplog
    )
    told = sorted(others_told(ticket))
    outage.start()
    broker_reset()

    # The creation, the reply and the status it opened for the facts; the creation's four
    # other subscribers.
    assert PendingWork.objects.count() == 7
    assert drain_pending_work() == 7
    done = facts(ticket)
    assert drain_pending_work() == 0

    assert {fact[1] for fact in done} == {"created", "response"}
    assert facts(ticket) == done  # the same rows: not refreshed a second time
    assert not PendingWork.objects.exists()
    assert sorted(others_told(ticket)) == told


@pytest.mark.worker
@pytest.mark.xdist_group("worker")
@pytest.mark.django_db(transaction=True)
def test_it_loses_nothing_while_redis_is_down_and_drains_it_on_the_worker(
    request, monkeypatch, outage, celery_broker, desk, mof_agent, mof_requester,
    printer_category, open_ticket, caplog,
):  # fmt: skip
    ticket, _event = change_during_outage(
        mof_agent, mof_requester, printer_category, open_ticket, caplog
    )
    told = sorted(others_told(ticket))

    # Redis comes back, empty: only the periodic drain knows of the work.
    outage.start()
    monkeypatch.setenv("REDIS_URL", outage.url)
    worker = request.getfixturevalue("celery_worker_process")
    celery_broker(outage.url)
    drain_pending_work.delay()  # beat's run
    drain_pending_work.delay()  # and another, as a redelivered message would be
    record_scheduler_heartbeat.delay()  # queued last: once it ran, the worker ran all before

    wait_until(lambda: SchedulerHeartbeat.objects.exists(), worker)
    assert not PendingWork.objects.exists()
    done = facts(ticket)
    assert {fact[1] for fact in done} == {"created", "response"}
    assert drain_pending_work() == 0
    assert facts(ticket) == done
    assert sorted(others_told(ticket)) == told


# -- Quiet -----------------------------------------------------------------------------------


def test_it_publishes_nothing_when_all_is_quiet(
    ticket, endpoint, mof_agent, mof_requester, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        event = agent_reply(ticket, mof_agent, quiet=Quiet.ALL)

    assert callbacks == []
    assert not PendingWork.objects.exists()
    assert pending_work_drain() == 0
    assert notices(mof_requester, event) == []
    assert not Outbox.objects.filter(dedupe_key__startswith=f"event:{event.pk}:").exists()
    assert [fact[1] for fact in facts(ticket)] == ["created"]  # nothing marked for refresh


def test_it_tells_no_person_but_still_tells_systems_and_figures_when_people_are_quiet(
    ticket, endpoint, mof_agent, mof_requester, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        event = agent_reply(ticket, mof_agent, quiet=Quiet.PEOPLE)
    rollups_refresh_pending()

    assert not Notice.objects.filter(
        event__ticket=ticket, event__kind__in=["reply", "status"]
    ).exists()
    assert not emailed(mof_requester, event)
    assert webhooked(endpoint, event)
    assert "response" in {fact[1] for fact in facts(ticket)}


def test_it_gives_notices_but_no_email_when_email_is_quiet(
    ticket, endpoint, mof_agent, mof_requester, django_capture_on_commit_callbacks
):
    emails = Outbox.objects.filter(channel=Outbox.Channel.EMAIL, ticket=ticket)
    before = emails.count()  # the team was told of the report
    with django_capture_on_commit_callbacks(execute=True):
        event = agent_reply(ticket, mof_agent, quiet=Quiet.EMAIL)
    rollups_refresh_pending()

    assert notices(mof_requester, event) == [Kind.AGENT_REPLY]
    assert not emailed(mof_requester, event)
    assert emails.count() == before
    assert webhooked(endpoint, event)
    assert "response" in {fact[1] for fact in facts(ticket)}


# -- The escalation sweep's batch ------------------------------------------------------------


@pytest.fixture
def due_tickets(ticket_at, desk):
    """Three tickets reported at 09:00 whose first response is due at 10:00; the work of
    their reporting is done."""
    tickets = [ticket_at(at(2026, 11, 23, 9, 0)) for _ in range(3)]
    with time_machine.travel(at(2026, 11, 23, 9, 1)):
        pending_work_drain()
    assert not PendingWork.objects.exists()
    return tickets


def test_it_hands_each_subscriber_the_sweeps_whole_batch_in_one_row(
    due_tickets, mof_agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert escalation_sweep(now=at(2026, 11, 23, 10, 30)) == 3

    escalations = sorted(TicketEvent.objects.filter(kind="escalation").values_list("pk", flat=True))
    assert len(escalations) == 3
    rows = PendingWork.objects.order_by("topic")
    assert [row.topic for row in rows] == sorted([NOTIFICATIONS, REPORTS, WEBHOOKS])
    assert all(row.payload["events"] == escalations for row in rows)
    # Nobody waits on the sweep: even the inline subscribers are left to a task.
    assert not Notice.objects.filter(kind=Kind.ESCALATION).exists()

    assert drain_pending_work([row.pk for row in rows]) == 3
    assert drain_pending_work([row.pk for row in rows]) == 0

    told = Notice.objects.filter(kind=Kind.ESCALATION)
    assert sorted(told.values_list("ticket", flat=True)) == sorted(t.pk for t in due_tickets)
    assert told.filter(user=mof_agent).count() == 3
    assert not PendingWork.objects.exists()


@pytest.mark.worker
@pytest.mark.xdist_group("worker")
@pytest.mark.django_db(transaction=True)
def test_it_drains_the_sweeps_batch_on_the_real_worker(request, due_tickets, mof_agent):
    assert escalation_sweep(now=at(2026, 11, 23, 10, 30)) == 3  # committed: one message queued
    assert sorted(PendingWork.objects.values_list("topic", flat=True)) == sorted(
        [NOTIFICATIONS, REPORTS, WEBHOOKS]
    )

    worker = request.getfixturevalue("celery_worker_process")

    wait_until(lambda: not PendingWork.objects.exists(), worker)
    told = Notice.objects.filter(kind=Kind.ESCALATION, user=mof_agent)
    assert sorted(told.values_list("ticket", flat=True)) == sorted(t.pk for t in due_tickets)
