"""After any sequence of changes, the rollups kept current ticket by ticket agree with a
full recount from the source tables, written here independently of reports.services."""

import contextlib
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.models import DailyRollup
from reports.services import rollups_refresh_pending
from service_levels.models import SLAPolicy
from tests.reports.conftest import at
from tickets import services
from tickets.models import Ticket, TicketEvent, TicketHolding, TicketTransfer

CLOSED = {"resolved", "closed"}
STEPS = st.lists(
    st.tuples(
        st.sampled_from(
            ["create", "reply", "resolve", "reopen", "transfer", "close", "pending", "priority"]
        ),
        st.integers(min_value=0, max_value=3),
    ),
    min_size=1,
    max_size=14,
)


def _day(moment, agency):
    return moment.astimezone(ZoneInfo(agency.time_zone)).date()


def full_recount() -> Counter:
    """(agency id, day, count name) -> number, straight from tickets, events and transfers."""
    counts = Counter()
    for ticket in Ticket.objects.all():
        holdings = list(TicketHolding.objects.filter(ticket=ticket).select_related("agency"))

        def holder(moment, holdings=holdings):
            return [h for h in holdings if h.started_at <= moment][-1].agency

        counts[holdings[0].agency_id, _day(ticket.created_at, holdings[0].agency), "created"] += 1
        for event in TicketEvent.objects.filter(ticket=ticket, kind="status"):
            old, new = event.data["old"] in CLOSED, event.data["new"] in CLOSED
            if old != new:
                agency = holder(event.created_at)
                name = "resolved" if new else "reopened"
                counts[agency.pk, _day(event.created_at, agency), name] += 1
        # Only what a service level judges counts as met or breached: here P4 has one.
        judged = SLAPolicy.objects.filter(priority=ticket.priority).exists()
        if ticket.first_response_at and judged:
            agency = holder(ticket.first_response_at)
            counts[agency.pk, _day(ticket.first_response_at, agency), "responses"] += 1
        if ticket.status in CLOSED and judged:
            counts[ticket.agency_id, _day(ticket.resolved_at, ticket.agency), "resolutions"] += 1
    for transfer in TicketTransfer.objects.select_related("from_agency", "to_agency"):
        counts[transfer.from_agency_id, _day(transfer.created_at, transfer.from_agency),
               "transferred_out"] += 1  # fmt: skip
        counts[transfer.to_agency_id, _day(transfer.created_at, transfer.to_agency),
               "transferred_in"] += 1  # fmt: skip
    return +counts


def rolled_up() -> Counter:
    counts = Counter()
    rows = DailyRollup.objects.values("agency_id", "day").annotate(
        **{name: Sum(name) for name in DailyRollup.COUNTS}
    )
    for row in rows:
        key = row["agency_id"], row["day"]
        for name in ("created", "resolved", "reopened", "transferred_in", "transferred_out"):
            counts[(*key, name)] += row[name]
        counts[(*key, "responses")] += row["response_met"] + row["response_breached"]
        counts[(*key, "resolutions")] += row["resolution_met"] + row["resolution_breached"]
    return +counts


def _apply(step, index, tickets, moment, people, agencies, category):
    mof, nicta = agencies
    requester, agents = people["requester"], people["agents"]
    if step == "create" or not tickets:
        with time_machine.travel(moment, tick=False):
            ticket = services.ticket_create(
                requester=requester, requester_agency=mof, category=category,
                subject="Random", description="Random", impact="low", urgency="medium",
            )  # fmt: skip
        tickets.append(ticket)
        return ticket
    ticket = Ticket.objects.get(pk=tickets[index % len(tickets)].pk)
    agent = agents[ticket.agency_id]
    actions = {
        "reply": lambda: services.ticket_reply(
            ticket=ticket, author=agent, body="Answer", as_agent=True
        ),
        "resolve": lambda: services.ticket_update(ticket=ticket, actor=agent, status="resolved"),
        "reopen": lambda: services.ticket_reopen(ticket=ticket, actor=requester),
        "transfer": lambda: services.ticket_transfer(
            ticket=ticket,
            to_agency=nicta if ticket.agency_id == mof.pk else mof,
            reason="Theirs",
            actor=agent,
        ),
        "close": lambda: services.ticket_close_by_requester(ticket=ticket, actor=requester),
        "pending": lambda: services.ticket_update(ticket=ticket, actor=agent, status="pending"),
        "priority": lambda: services.ticket_update(
            ticket=ticket, actor=agent, impact="high", urgency="high"
        ),
    }
    # A step not allowed in the ticket's state changes nothing.
    with time_machine.travel(moment, tick=False), contextlib.suppress(ValidationError):
        actions[step]()
    return ticket


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
def test_it_keeps_rollups_equal_to_a_full_recount(
    steps, service_levels, mof, nicta, mof_requester, mof_agent, nicta_agent, printer_category
):
    people = {"requester": mof_requester, "agents": {mof.pk: mof_agent, nicta.pk: nicta_agent}}
    start: datetime = at(2026, 11, 16, 7, 0)
    with transaction.atomic():
        tickets = []
        for number, (step, index) in enumerate(steps):
            # Steps 5 hours apart: they cross midnights and weekends.
            moment = start + timedelta(hours=5 * number)
            _apply(step, index, tickets, moment, people, (mof, nicta), printer_category)
            # What the worker does after each change commits: refresh the tickets it changed.
            with time_machine.travel(moment, tick=False):
                rollups_refresh_pending()
        assert rolled_up() == full_recount()
        transaction.set_rollback(True)
