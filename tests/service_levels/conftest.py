"""Service levels on real tickets: the government's calendar and P4 levels of
tests/tickets/test_sla_clock.py, tickets opened through the service, and a drain of the
recomputes the changes record."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core.models import PendingWork
from core.pending_work import pending_work_drain
from service_levels.models import BusinessCalendar, EscalationLevel, Holiday, SLAPolicy
from service_levels.services import RECOMPUTE_TOPIC
from tests.tickets.conftest import open_ticket, printer_category  # noqa: F401 - fixtures
from tickets.models import Ticket

MONROVIA = ZoneInfo("Africa/Monrovia")


def at(*parts) -> datetime:
    return datetime(*parts, tzinfo=MONROVIA)


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def drain_recomputes() -> int:
    """What a worker does after the change's commit: every recorded batch, in turn, each
    named by id as its task names it (whatever time the test's clock says)."""
    done = 0
    while ids := list(
        PendingWork.objects.filter(topic=RECOMPUTE_TOPIC).values_list("pk", flat=True)
    ):
        done += pending_work_drain(ids=ids)
    return done


@pytest.fixture
def national(db):
    """Monday to Friday 08:00-17:00, with one yearly holiday."""
    calendar = BusinessCalendar.objects.create(agency=None, time_zone="Africa/Monrovia")
    Holiday.objects.create(
        calendar=calendar, date=date(2026, 11, 29), name="Tubman's Birthday", recurs_yearly=True
    )
    return calendar


@pytest.fixture
def p4(national):
    """P4: answer in 1 business hour, solve in 4; levels at 75 % and 100 % of the
    resolution (the second marks the breach) and 100 % of the response."""
    policy = SLAPolicy.objects.create(priority="P4", response_minutes=60, resolution_minutes=240)
    EscalationLevel.objects.create(
        policy=policy, clock="resolution", percent=75, notify="assignee_or_team"
    )
    EscalationLevel.objects.create(
        policy=policy, clock="resolution", percent=100, notify="lead_and_admins",
        marks_breach=True,
    )  # fmt: skip
    EscalationLevel.objects.create(
        policy=policy, clock="response", percent=100, notify="team", marks_breach=True
    )
    return policy


@pytest.fixture
def ticket_at(mof_requester, printer_category, open_ticket, p4):  # noqa: F811
    def ticket_at(moment, requester=None, **fields):
        with time_machine.travel(moment, tick=False):
            return open_ticket(requester or mof_requester, printer_category, **fields)

    return ticket_at
