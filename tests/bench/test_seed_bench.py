"""seed_bench on a small government: its data is what the application itself would have
written. Every story is replayed through the real services, at its own moments, and the
ticket that comes out must carry the same SLA fields, status, holdings and history."""

from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.db.models import Count

from accounts.models import User
from agencies.models import Agency
from bench import seeding
from core.models import PendingWork
from mail.models import Outbox
from notifications.models import Notice
from reports.models import DailyRollup, ReportFact
from reports.services import rollup_refresh_tickets
from tickets import escalation, services, sla
from tickets import events as ticket_events
from tickets.models import Category, Ticket, TicketCounter, TicketEvent, TicketHolding

pytestmark = pytest.mark.xdist_group("bench")

TICKETS = 200
# Replaying runs every service for real: a sample of the stories keeps the test quick.
REPLAYED = 70
SEED = 7
COMPARED = [
    "status", "priority", "agency_id", "team_id", "assignee_id", "first_response_at",
    "resolved_at", "closed_at", "sla_policy_id", "response_due_at", "resolution_due_at",
    "sla_used_seconds", "sla_running_since", "sla_paused_since", "response_breached",
    "resolution_breached", "escalation_level", "next_escalation_at",
]  # fmt: skip


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """One seeded government for the module, committed, and emptied at the end."""
    with django_db_blocker.unblock():
        out = StringIO()
        call_command("seed_bench", tickets=TICKETS, seed=SEED, workers=1, stdout=out)
        yield out.getvalue()
        seeding.forget_seed()
        call_command("flush", interactive=False, verbosity=0)


def _stories():
    world = seeding.load_world()
    recorded = seeding.recorded_seed()
    now = recorded["seeded_at"]
    heads = seeding.heads(world, recorded["tickets"], recorded["seed"], now)
    refs = seeding.references(world, heads)
    return now, [
        seeding.story_for(world, i, head, refs[i], recorded["seed"], now)
        for i, head in enumerate(heads)
    ]


def _sweep_to(ticket: Ticket, until) -> Ticket:
    """The periodic sweep, run at each moment an escalation of this ticket falls due."""
    while ticket.next_escalation_at is not None and ticket.next_escalation_at <= until:
        moment = ticket.next_escalation_at
        with time_machine.travel(moment, tick=False):
            escalation.escalation_sweep(now=moment)
        ticket.refresh_from_db()
    return ticket


def _replay(story, now) -> Ticket:
    user = User.objects.get
    with time_machine.travel(story.created_at, tick=False):
        ticket = services.ticket_create(
            requester=user(pk=story.requester_id),
            requester_agency=Agency.objects.get(pk=story.requester_agency_id),
            category=Category.objects.get(pk=story.category_id),
            subject=story.subject,
            description=story.description,
            impact=story.impact,
            urgency=story.urgency,
            channel=story.channel,
            logged_by=user(pk=story.logged_by_id) if story.logged_by_id else None,
        )
    for step in story.steps:
        ticket = _sweep_to(ticket, step.at)
        actor = user(pk=step.actor_id) if step.actor_id else None
        with time_machine.travel(step.at, tick=False):
            if step.action == "assign":
                services.ticket_assign(ticket=ticket, assignee=actor, actor=actor)
            elif step.action in ("agent_reply", "note"):
                services.ticket_reply(ticket=ticket, author=actor, body=step.body,
                                      internal=step.action == "note", as_agent=True)  # fmt: skip
            elif step.action == "requester_reply":
                services.ticket_reply(ticket=ticket, author=actor, body=step.body)
            elif step.action == "status":
                services.ticket_update(ticket=ticket, actor=actor, status=step.value)
            elif step.action == "close" and actor:
                services.ticket_close_by_requester(ticket=ticket, actor=actor)
            elif step.action == "close":
                services.ticket_auto_close(ticket=ticket)
            elif step.action == "transfer":
                services.ticket_transfer(ticket=ticket, to_agency=Agency.objects.get(
                    code=step.value), reason=step.body, actor=actor)  # fmt: skip
        ticket.refresh_from_db()
    return _sweep_to(ticket, now)


def _history(ticket: Ticket) -> list[str]:
    return list(ticket.events.order_by("created_at", "id").values_list("kind", flat=True))


def _holdings(ticket: Ticket) -> list[tuple]:
    return list(
        TicketHolding.objects.filter(ticket=ticket)
        .order_by("started_at", "id")
        .values_list("agency_id", "started_at", "ended_at", "used_seconds_at_start",
                     "business_seconds")
    )  # fmt: skip


@pytest.mark.django_db
def test_it_seeds_tickets_whose_clocks_agree_with_the_services(seeded):
    now, stories = _stories()
    seeded_tickets = {t.reference: t for t in Ticket.objects.all()}
    assert len(seeded_tickets) == TICKETS
    escalated = paused = transferred = 0
    # Every story with a transfer, a pause or a hold, and the first others up to REPLAYED.
    unusual = [s for s in stories if any(step.action == "transfer" or step.value in (
        "pending", "on_hold") for step in s.steps)]  # fmt: skip
    plain = [s for s in stories if s not in unusual]
    for story in unusual + plain[: max(REPLAYED - len(unusual), 0)]:
        expected = seeded_tickets[story.reference]
        replayed = _replay(story, now)
        for name in COMPARED:
            assert getattr(replayed, name) == getattr(expected, name), (story.reference, name)
        assert _history(replayed) == _history(expected), story.reference
        assert [h[1:] for h in _holdings(replayed)] == [h[1:] for h in _holdings(expected)]
        escalated += expected.escalation_level > 0
        paused += expected.sla_paused_since is not None
        transferred += len(_holdings(expected)) > 1
    # The comparison covered the interesting paths, not only tickets that went straight through.
    assert escalated and paused and transferred


@pytest.mark.django_db
def test_it_builds_the_search_documents_as_the_services_do(seeded):
    for ticket in Ticket.objects.annotate(n=Count("events")).order_by("-n")[:20]:
        seeded_documents = (ticket.search_public, ticket.search_notes)
        services._refresh_search(ticket)
        ticket.refresh_from_db(fields=["search_public", "search_notes"])
        assert (ticket.search_public, ticket.search_notes) == seeded_documents


@pytest.mark.django_db
def test_it_writes_the_report_facts_and_rollups_the_reports_app_computes(seeded):
    def facts():
        return sorted(
            ReportFact.objects.values_list(
                "ticket_id", "agency_id", "day", "kind", "team_id", "category_id", "priority",
                "counterpart_id", "business_seconds", "met_target",
            )
        )  # fmt: skip

    def rollups():
        key = ("agency_id", "day", "team_id", "category_id", "priority")
        return sorted(DailyRollup.objects.values_list(*key, *DailyRollup.COUNTS))

    seeded_facts, seeded_rollups = facts(), rollups()
    assert len(seeded_facts) >= TICKETS and seeded_rollups
    ids = sorted(Ticket.objects.values_list("pk", flat=True))
    for start in range(0, len(ids), 50):
        rollup_refresh_tickets(ticket_ids=ids[start : start + 50])
    assert facts() == seeded_facts
    assert rollups() == seeded_rollups


@pytest.mark.django_db
def test_it_gives_unique_references_and_counters_that_follow_them(seeded):
    references = list(Ticket.objects.values_list("reference", flat=True))
    assert len(references) == len(set(references)) == TICKETS
    for counter in TicketCounter.objects.select_related("agency"):
        numbers = [
            int(r.split("-")[1]) for r in references if r.startswith(counter.agency.code + "-")
        ]
        # Numbers run 1..n with no gap, and the next ticket gets n + 1.
        assert sorted(numbers) == list(range(1, counter.last_number + 1))


@pytest.mark.django_db
def test_it_writes_each_history_in_order_with_about_six_events_a_ticket(seeded):
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FROM (
                 SELECT created_at < lag(created_at) OVER (PARTITION BY ticket_id ORDER BY id)
                 AS backwards FROM tickets_ticketevent) e WHERE backwards"""
        )
        assert cursor.fetchone()[0] == 0
    first_kinds = set(
        TicketEvent.objects.order_by("ticket_id", "created_at", "id")
        .distinct("ticket_id")
        .values_list("kind", flat=True)
    )
    assert first_kinds == {TicketEvent.Kind.CREATED}
    assert 4 <= TicketEvent.objects.count() / TICKETS <= 10
    # One ticket in LONG_STORY_EVERY is a long conversation, for the ticket page benchmark.
    assert Ticket.objects.annotate(n=Count("events")).filter(n__gte=50).exists()


@pytest.mark.django_db
def test_it_builds_the_whole_government(seeded):
    assert Agency.objects.count() == seeding.AGENCY_COUNT
    assert User.objects.filter(memberships__role="agent").count() + Agency.objects.count() == (
        seeding.AGENCY_COUNT * seeding.AGENTS_PER_AGENCY
    )  # one agency admin per agency, the rest agents
    assert User.objects.filter(memberships__role="requester").count() == 60_000
    assert "Seeded 200 tickets" in seeded


@pytest.mark.django_db
def test_it_publishes_nothing_as_it_plays_the_stories(seeded):
    # Nothing was published (quiet=Quiet.ALL): no subscriber has work, nobody was told.
    assert TicketEvent.objects.count() > TICKETS
    assert not PendingWork.objects.exists()
    assert not Notice.objects.exists()
    assert not Outbox.objects.exists()


def test_it_stops_when_a_name_it_keeps_in_memory_is_gone(monkeypatch):
    monkeypatch.delattr(sla, "TicketHolding")
    # No story is played: the world is never read.
    rules = seeding.offline_rules(None)
    with pytest.raises(RuntimeError, match=r"tickets\.sla\.TicketHolding"), rules:
        pass
    # Nothing was left pointing at memory.
    assert sla.TicketEvent is TicketEvent
    assert ticket_events.TicketEvent is TicketEvent
