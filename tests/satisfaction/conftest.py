"""Satisfaction fixtures: a MOF ticket worked by its service desk, resolved on demand."""

import pytest

from agencies.models import Team
from tickets import services
from tickets.models import Category, Ticket, TicketEvent


@pytest.fixture
def mof_desk(mof, mof_agent, mof_head):
    team = Team.objects.create(agency=mof, name="Service desk", lead=mof_head)
    team.members.add(mof_agent)
    mof.intake_team = team
    mof.save(update_fields=["intake_team"])
    return team


@pytest.fixture
def ticket(mof, mof_desk, mof_requester):
    category = Category.objects.create(name="Computer and printer", slug="computer-and-printer")
    return services.ticket_create(
        requester=mof_requester, requester_agency=mof, category=category,
        subject="Printer offline", description="It shows E-042.", impact="low", urgency="medium",
    )  # fmt: skip


@pytest.fixture
def resolve(committed, mof_agent):
    """Resolves the ticket as its agent; returns the resolving event, subscribers run."""

    def resolve(ticket: Ticket, agent=None) -> TicketEvent:
        with committed():
            services.ticket_update(ticket=ticket, actor=agent or mof_agent, status="resolved")
        return ticket.events.filter(kind="status", data__new="resolved").latest("created_at", "pk")

    return resolve
