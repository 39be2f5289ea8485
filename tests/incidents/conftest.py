"""Major incidents fixtures: four ministries' requesters, NICTA running government e-mail,
and a helper that reports a burst of tickets about it."""

import pytest

from accounts.models import Role
from core.tasks import drain_pending_work
from incidents import services
from tests.factories import AgencyDomainFactory, AgencyFactory, MembershipFactory, UserFactory

# Shared fixtures: `name as name` tells the linter pytest uses them.
from tests.tickets.conftest import email_category as email_category
from tests.tickets.conftest import mof_service_desk as mof_service_desk
from tests.tickets.conftest import nicta_email_team as nicta_email_team
from tests.tickets.conftest import printer_category as printer_category
from tickets import services as ticket_services


@pytest.fixture
def open_ticket(committed):
    """Opens a ticket through the service, as the web form would, commits it and lets the
    worker do what its creation set off: a report that matches an open major incident joins
    it then, and its reporter is told."""

    def open_ticket(requester, category, *, subject="Printer offline", **fields):
        membership = requester.memberships.select_related("agency").first()
        defaults = {
            "description": "The printer on the second floor shows an error.",
            "impact": "low",
            "urgency": "medium",
        }
        with committed():
            ticket = ticket_services.ticket_create(
                requester=requester,
                requester_agency=membership.agency if membership else None,
                category=category,
                subject=subject,
                **{**defaults, **fields},
            )
        with committed():  # the e-mail the worker's notices write on, queued in turn
            drain_pending_work()
        return ticket

    return open_ticket


@pytest.fixture
def nec(db):
    agency = AgencyFactory(code="NEC", name="National Elections Commission")
    AgencyDomainFactory(agency=agency, domain="nec.gov.test")
    return agency


@pytest.fixture
def moj(db):
    agency = AgencyFactory(code="MOJ", name="Ministry of Justice")
    AgencyDomainFactory(agency=agency, domain="moj.gov.test")
    return agency


def _requester(email, agency, full_name):
    user = UserFactory(email=email, full_name=full_name)
    MembershipFactory(user=user, agency=agency, role=Role.REQUESTER)
    return user


@pytest.fixture
def nec_requester(nec):
    return _requester("requester@nec.gov.test", nec, "Joseph Boakai")


@pytest.fixture
def moj_requester(moj):
    return _requester("requester@moj.gov.test", moj, "Ellen Wreh")


@pytest.fixture
def mof_colleague(mof):
    return _requester("colleague@mof.gov.test", mof, "Korto Williams")


@pytest.fixture
def nicta_agent(nicta):
    user = UserFactory(email="agent@nicta.gov.test", full_name="Nyema Flomo")
    MembershipFactory(user=user, agency=nicta, role=Role.AGENT)
    return user


@pytest.fixture
def reporters(mof_requester, mof_colleague, moh_requester, nec_requester, moj_requester):
    """Five people in four ministries (two in MOF)."""
    return [mof_requester, mof_colleague, moh_requester, nec_requester, moj_requester]


@pytest.fixture
def email_burst(reporters, email_category, open_ticket):
    """Five reports about government e-mail from four agencies, within minutes."""
    subjects = [
        "Cannot send e-mail",
        "Outlook says it is disconnected",
        "E-mail not working",
        "No new mail since this morning",
        "Mail is down",
    ]
    return [
        open_ticket(person, email_category, subject=subject, impact="high", urgency="high")
        for person, subject in zip(reporters, subjects, strict=True)
    ]


@pytest.fixture
def email_incident(email_burst, nicta_agent, committed):
    """The burst, proposed and confirmed by NICTA: a major incident with five children, whose
    requesters have been told."""
    assert services.incidents_detect() == 1
    from incidents.models import ProposedIncident

    proposal = ProposedIncident.objects.get()
    with committed():
        return services.proposal_confirm(
            proposal=proposal, actor=nicta_agent, subject="Government e-mail is down"
        )
