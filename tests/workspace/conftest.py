"""Workspace fixtures: a MOF ticket from a French-speaking requester, and a library."""

import pytest

from agencies.models import Team
from tickets import services
from tickets.models import Category


@pytest.fixture
def mof_service_desk(mof):
    team = Team.objects.create(agency=mof, name="Service desk")
    mof.intake_team = team
    mof.save(update_fields=["intake_team"])
    return team


@pytest.fixture
def printer_category(db):
    return Category.objects.create(
        name="Computer and printer", slug="computer-and-printer", default_impact="low"
    )


@pytest.fixture
def open_ticket():
    def open_ticket(requester, category, *, subject="Printer offline", **fields):
        membership = requester.memberships.select_related("agency").first()
        defaults = {
            "description": "The printer shows an error.",
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


@pytest.fixture
def french_requester(mof_requester):
    mof_requester.preferred_language = "fr"
    mof_requester.save(update_fields=["preferred_language"])
    return mof_requester


@pytest.fixture
def ticket(french_requester, printer_category, open_ticket, mof_service_desk):
    return open_ticket(french_requester, printer_category, subject="Imprimante hors ligne")


@pytest.fixture
def agent_client(client, mof_agent):
    client.force_login(mof_agent)
    return client


@pytest.fixture
def head_client(client, mof_head):
    client.force_login(mof_head)
    return client
