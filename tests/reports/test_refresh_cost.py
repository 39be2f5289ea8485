"""The refresh after some tickets changed costs what they changed, never the history behind
them: the same queries for the same changes, however many facts their days already hold."""

from datetime import timedelta

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports.models import DailyRollup, ReportFact
from reports.services import rollup_refresh_tickets, rollups_refresh_pending
from tests.reports.conftest import at
from tests.reports.test_recount import full_recount, rolled_up
from tickets import services

MONDAY_9 = at(2026, 11, 16, 9, 0)


def _refresh_queries(moment) -> int:
    """What a worker does after the changes commit, and the queries it takes."""
    with time_machine.travel(moment, tick=False), CaptureQueriesContext(connection) as queries:
        assert rollups_refresh_pending() >= 1
    return len(queries)


def test_it_refreshes_in_the_same_queries_with_little_and_with_much_history(
    service_levels, mof, nicta, mof_requester, mof_agent, printer_category, act
):
    def report(moment, number):
        return act(moment, services.ticket_create, requester=mof_requester,
                   requester_agency=mof, category=printer_category, subject=f"Report {number}",
                   description="Down", impact="low", urgency="medium")  # fmt: skip

    def answer_and_resolve(tickets, moment):
        """Three changes to each ticket, on the day the history lies: the measured refresh."""
        for ticket in tickets:
            act(moment, services.ticket_reply, ticket=ticket, author=mof_agent, body="On it",
                as_agent=True)  # fmt: skip
            act(moment, services.ticket_update, ticket=ticket, actor=mof_agent,
                status="resolved")  # fmt: skip
        act(moment, services.ticket_transfer, ticket=tickets[0], to_agency=nicta,
            reason="Theirs", actor=mof_agent)  # fmt: skip
        return _refresh_queries(moment)

    # Little history: five tickets, reported and changed on Monday.
    first = [report(MONDAY_9, number) for number in range(5)]
    _refresh_queries(MONDAY_9)
    with_little = answer_and_resolve(first, MONDAY_9 + timedelta(hours=1))

    # Much more history on the same days and around them: forty tickets, their facts and
    # rollups written, before five more change the same way.
    history = [
        report(MONDAY_9 + timedelta(hours=number % 3, days=number % 4), 100 + number)
        for number in range(40)
    ]
    rollup_refresh_tickets(ticket_ids=[ticket.pk for ticket in history])
    facts_before = ReportFact.objects.count()
    second = [report(MONDAY_9 + timedelta(hours=2), 200 + number) for number in range(5)]
    _refresh_queries(MONDAY_9 + timedelta(hours=2))
    with_more = answer_and_resolve(second, MONDAY_9 + timedelta(hours=3))

    assert ReportFact.objects.count() > facts_before > 10 * len(second)
    assert with_more == with_little
    # A fixed handful: the drain's, the tickets' sources, the calendars, and the writes.
    assert with_little <= 25
    # And the rollups moved by the difference are those a recount from scratch gives.
    assert rolled_up() == full_recount()


def test_it_recomputes_the_days_of_a_row_that_had_drifted(
    service_levels, mof, mof_requester, mof_agent, printer_category, act, caplog
):
    ticket = act(MONDAY_9, services.ticket_create, requester=mof_requester,
                 requester_agency=mof, category=printer_category, subject="Report",
                 description="Down", impact="low", urgency="medium")  # fmt: skip
    _refresh_queries(MONDAY_9)
    # A row emptied by hand: taking the ticket's old fact from it would fall below zero.
    DailyRollup.objects.filter(agency=mof).update(created=0)
    act(MONDAY_9, services.ticket_update, ticket=ticket, actor=mof_agent, impact="high",
        urgency="high")  # fmt: skip
    _refresh_queries(MONDAY_9)
    assert "Rollups had drifted from their facts" in caplog.text
    assert rolled_up() == full_recount()
