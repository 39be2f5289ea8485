"""Tickets fixtures: a small catalogue and a helper that opens tickets through the service."""

import pytest

from agencies.models import Team
from tickets import services
from tickets.models import Category


@pytest.fixture
def nicta_email_team(nicta):
    return Team.objects.create(agency=nicta, name="E-mail and collaboration")


@pytest.fixture
def mof_service_desk(mof):
    team = Team.objects.create(agency=mof, name="Service desk")
    mof.intake_team = team
    mof.save(update_fields=["intake_team"])
    return team


@pytest.fixture
def printer_category(db):
    """Government-wide; handled by the requester's own agency."""
    return Category.objects.create(
        name="Computer and printer", slug="computer-and-printer", default_impact="low"
    )


@pytest.fixture
def email_category(nicta, nicta_email_team):
    """Government e-mail: always handled by NICTA's e-mail team."""
    return Category.objects.create(
        name="Government e-mail",
        slug="government-email",
        handling_agency=nicta,
        team=nicta_email_team,
    )


@pytest.fixture
def payroll_category(mof):
    """A service of MOF's own, offered to MOF's staff only."""
    return Category.objects.create(name="Payroll", slug="mof-payroll", agency=mof)


@pytest.fixture
def open_ticket():
    """Opens a ticket through the service, as the web form would."""

    def open_ticket(requester, category, *, subject="Printer offline", **fields):
        membership = requester.memberships.select_related("agency").first()
        defaults = {
            "description": "The printer on the second floor shows an error.",
            "impact": "low",
            "urgency": "medium",
        }
        return services.ticket_create(
            requester=requester,
            requester_agency=membership.agency if membership else None,
            category=category,
            subject=subject,
            **{**defaults, **fields},
        )

    return open_ticket
