"""The refresh of the dashboards' facts holds a bounded number of advisory locks, however
many tickets and days a batch touches: PostgreSQL's lock table is shared by every session."""

from datetime import timedelta

from django.db import connection

from reports.models import DailyRollup, ReportFact
from reports.services import ADVISORY_LOCK_STRIPES, rollup_refresh_tickets
from tests.reports.conftest import at
from tickets import services


def advisory_locks_held() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_it_holds_a_bounded_number_of_locks_for_tickets_over_many_days(
    service_levels, mof, mof_requester, printer_category, act
):
    # More tickets, each on a day of its own, than stripes of both namespaces together.
    tickets = [
        act(at(2024, 1, 1, 9, 0) + timedelta(days=9 * number), services.ticket_create,
            requester=mof_requester, requester_agency=mof, category=printer_category,
            subject=f"Report {number}", description="Down", impact="low", urgency="medium")
        for number in range(2 * ADVISORY_LOCK_STRIPES + 6)
    ]  # fmt: skip
    assert advisory_locks_held() == 0
    # The test's transaction is the drain's: every lock taken is held until it ends.
    touched = rollup_refresh_tickets(ticket_ids=[ticket.pk for ticket in tickets])
    assert len(touched) == len(tickets)  # a day of rollups for each ticket
    assert 0 < advisory_locks_held() <= 2 * ADVISORY_LOCK_STRIPES
    # And the facts and rollups are all there.
    assert ReportFact.objects.filter(kind=ReportFact.Kind.CREATED).count() == len(tickets)
    assert DailyRollup.objects.filter(agency=mof).count() == len(tickets)
