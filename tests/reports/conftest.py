"""Reports fixtures: one working week of tickets whose every figure is checked by hand.

The government's calendar is Monday to Friday, 08:00 to 17:00 in Monrovia (UTC all year),
and P4 tickets must be answered within 1 business hour and resolved within 4. Monday
16 November 2026:

- MOF-1, 09:00: answered 09:30 (0.5 h, met), resolved 11:00 (2 h, met).
- MOF-2, 10:00: answered 12:00 (2 h, breached), resolved Tuesday 10:00 (7 h + 2 h = 9 h,
  breached).
- MOF-3, 16:00: answered Tuesday 08:30 (1.5 h, breached), resolved Tuesday 09:00, reopened
  by the requester Tuesday 10:00 and open since: one resolution and one reopening, and no
  final resolution to time.
- MOF-4, 09:00: transferred to NICTA at 12:00 with 3 business hours used and no answer;
  NICTA answers 13:00 (1 h of its own holding, met) and resolves 14:00 (2 h of its own,
  met) although the ticket's own clock, 5 h, is past the 4 h target.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import Role
from reports.services import rollups_refresh_pending
from service_levels.models import BusinessCalendar, SLAPolicy
from tests.factories import MembershipFactory, UserFactory
from tests.tickets.conftest import printer_category as printer_category
from tickets import services

MONROVIA = ZoneInfo("Africa/Monrovia")
MONDAY = date(2026, 11, 16)
TUESDAY = date(2026, 11, 17)
WEEK = {"period": "custom", "start": "2026-11-16", "end": "2026-11-20"}


def at(*parts):
    return datetime(*parts, tzinfo=MONROVIA)


@pytest.fixture
def service_levels(db):
    BusinessCalendar.objects.create(agency=None, time_zone="Africa/Monrovia")
    return SLAPolicy.objects.create(priority="P4", response_minutes=60, resolution_minutes=240)


@pytest.fixture
def nicta_agent(nicta):
    user = UserFactory(email="agent@nicta.gov.test", full_name="Joseph Boakai")
    MembershipFactory(user=user, agency=nicta, role=Role.AGENT)
    return user


@pytest.fixture
def act():
    """Runs a service at a given moment."""

    def act(moment, function, **arguments):
        with time_machine.travel(moment, tick=False):
            return function(**arguments)

    return act


@pytest.fixture
def report_week(
    service_levels, mof, nicta, mof_requester, mof_agent, nicta_agent, printer_category
):
    def change(moment, function, **arguments):
        """Runs a service at a given moment, then what a worker does once it has committed:
        refreshes the facts of the ticket it changed."""
        with time_machine.travel(moment, tick=False):
            result = function(**arguments)
            assert rollups_refresh_pending() >= 1
        return result

    def report(moment, subject):
        return change(
            moment, services.ticket_create, requester=mof_requester, requester_agency=mof,
            category=printer_category, subject=subject,
            description="Confidential details of the problem", impact="low", urgency="medium",
        )  # fmt: skip

    def reply(moment, ticket, author, as_agent=True):
        change(moment, services.ticket_reply, ticket=ticket, author=author, body="On it",
            as_agent=as_agent)  # fmt: skip

    def resolve(moment, ticket, agent):
        change(moment, services.ticket_update, ticket=ticket, actor=agent, status="resolved")

    first = report(at(2026, 11, 16, 9, 0), "Payroll server on fire")
    reply(at(2026, 11, 16, 9, 30), first, mof_agent)
    resolve(at(2026, 11, 16, 11, 0), first, mof_agent)

    second = report(at(2026, 11, 16, 10, 0), "Printer jam")
    reply(at(2026, 11, 16, 12, 0), second, mof_agent)
    resolve(at(2026, 11, 17, 10, 0), second, mof_agent)

    third = report(at(2026, 11, 16, 16, 0), "Screen flickers")
    reply(at(2026, 11, 17, 8, 30), third, mof_agent)
    resolve(at(2026, 11, 17, 9, 0), third, mof_agent)
    change(at(2026, 11, 17, 10, 0), services.ticket_reopen, ticket=third, actor=mof_requester)

    fourth = report(at(2026, 11, 16, 9, 0), "Mailbox full")
    change(
        at(2026, 11, 16, 12, 0), services.ticket_transfer, ticket=fourth, to_agency=nicta,
        reason="Government e-mail is NICTA's", actor=mof_agent,
    )  # fmt: skip
    reply(at(2026, 11, 16, 13, 0), fourth, nicta_agent)
    resolve(at(2026, 11, 16, 14, 0), fourth, nicta_agent)

    return [first, second, third, fourth]
