"""Data protection fixtures: officers, a catalogue, and tickets opened through the services."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Role
from agencies.models import Team
from privacy.access_log import access_log_flush, redis_state
from tests.factories import MembershipFactory, UserFactory
from tickets import services
from tickets.attachments import attachments_check, attachments_save
from tickets.models import Category, TicketEvent


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _empty_access_log_queue(db):
    """Reads a test's requests leave in Redis are its own: start and end with none waiting,
    and with Redis believed up."""
    redis_state.down_until = 0.0
    access_log_flush()
    yield
    redis_state.down_until = 0.0
    access_log_flush()


@pytest.fixture
def mof_dpo(mof):
    user = UserFactory(email="dpo@mof.gov.test", full_name="Grace Wleh")
    MembershipFactory(user=user, agency=mof, role=Role.DATA_PROTECTION_OFFICER)
    return user


@pytest.fixture
def government_dpo(db):
    user = UserFactory(email="dpo@govdesk.test", full_name="Joseph Boakai")
    MembershipFactory(user=user, agency=None, role=Role.DATA_PROTECTION_OFFICER)
    return user


@pytest.fixture
def mof_desk(mof):
    team = Team.objects.create(agency=mof, name="Service desk")
    mof.intake_team = team
    mof.save(update_fields=["intake_team"])
    return team


@pytest.fixture
def printer(db):
    return Category.objects.create(
        name="Computer and printer", slug="computer-and-printer", default_impact="low"
    )


@pytest.fixture
def open_ticket(mof_desk, printer):
    def open_ticket(requester, *, subject="Printer offline", description="It shows an error."):
        membership = requester.memberships.select_related("agency").first()
        return services.ticket_create(
            requester=requester,
            requester_agency=membership.agency if membership else None,
            category=printer,
            subject=subject,
            description=description,
            impact="low",
            urgency="medium",
        )

    return open_ticket


@pytest.fixture
def attach():
    def attach(ticket, *, by, name="notes.txt", content=b"a file"):
        event = ticket.events.filter(kind=TicketEvent.Kind.CREATED).get()
        (attachment,) = attachments_save(
            ticket=ticket,
            event=event,
            files=attachments_check([SimpleUploadedFile(name, content, "text/plain")]),
            uploaded_by=by,
        )
        return attachment

    return attach
