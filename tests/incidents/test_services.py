"""Major incidents: confirming, declaring, attaching, telling everyone once, resolving."""

import pytest
from django.core.exceptions import ValidationError

from core.models import AuditEntry
from incidents import services
from incidents.models import IncidentAffected, ProposedIncident
from mail.models import Outbox
from notifications.models import Notice
from tickets import services as ticket_services
from tickets.models import Category, Ticket, TicketEvent


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


# -- Confirming and dismissing ----------------------------------------------------------------


def test_it_attaches_the_cluster_when_the_owner_confirms(email_incident, email_burst, nicta):
    assert email_incident.kind == "major_incident"
    assert email_incident.agency == nicta
    assert email_incident.subject == "Government e-mail is down"
    assert email_incident.priority == "P1"
    assert {t.pk for t in email_incident.children.all()} == {t.pk for t in email_burst}
    proposal = ProposedIncident.objects.get()
    assert (proposal.state, proposal.incident) == ("confirmed", email_incident)
    # Each child keeps its own history of the change, and its requester follows the incident.
    for ticket in email_burst:
        assert ticket.events.filter(kind="incident", data__action="attached").count() == 1
    assert set(email_incident.watchers.all()) == {t.requester for t in email_burst}
    assert AuditEntry.objects.filter(action="incident.confirm").exists()


def test_it_tells_each_requester_their_ticket_joined_the_incident(email_incident, email_burst):
    for ticket in email_burst:
        notice = Notice.objects.get(user=ticket.requester, kind="incident", ticket=ticket)
        assert email_incident.reference in notice.text


def test_it_refuses_a_confirmation_from_another_agency(email_burst, moh_agent):
    services.incidents_detect()
    proposal = ProposedIncident.objects.get()

    with pytest.raises(ValidationError, match="Only the staff of National ICT Agency"):
        services.proposal_confirm(proposal=proposal, actor=moh_agent)
    assert ProposedIncident.objects.get().state == "proposed"
    assert not Ticket.objects.filter(kind="major_incident").exists()


def test_it_refuses_to_dismiss_twice(email_burst, nicta_agent):
    services.incidents_detect()
    proposal = ProposedIncident.objects.get()
    services.proposal_dismiss(proposal=proposal, actor=nicta_agent)

    with pytest.raises(ValidationError, match="already dismissed"):
        services.proposal_dismiss(proposal=proposal, actor=nicta_agent)
    with pytest.raises(ValidationError, match="already dismissed"):
        services.proposal_confirm(proposal=proposal, actor=nicta_agent)
    assert AuditEntry.objects.filter(action="incident.dismiss").count() == 1
    assert not Ticket.objects.filter(kind="major_incident").exists()


def test_it_refuses_to_confirm_a_proposal_no_agency_owns(
    reporters, printer_category, mof_service_desk, open_ticket, platform_admin
):
    for person in reporters:
        open_ticket(person, printer_category, subject="The network is down in our building")
    services.incidents_detect()

    with pytest.raises(ValidationError, match="no owner"):
        services.proposal_confirm(proposal=ProposedIncident.objects.get(), actor=platform_admin)
    assert ProposedIncident.objects.get().state == "proposed"
    assert not Ticket.objects.filter(kind="major_incident").exists()


def test_it_refuses_to_declare_an_incident_without_owner(printer_category, platform_admin):
    with pytest.raises(ValidationError) as refused:
        services.incident_declare(
            actor=platform_admin, category=printer_category, subject="Down", description="Down"
        )
    assert "has no owner" in str(refused.value)
    assert not Ticket.objects.exists()


def test_it_lets_the_owner_declare_one_by_hand(email_category, nicta_agent, nicta):
    incident = services.incident_declare(
        actor=nicta_agent, category=email_category, subject="E-mail is slow",
        description="Messages take an hour to arrive.",
    )  # fmt: skip

    assert (incident.kind, incident.agency, incident.status) == ("major_incident", nicta, "new")
    assert AuditEntry.objects.filter(action="incident.declare", target__contains="NICTA").exists()


# -- Attaching: bad input ----------------------------------------------------------------------


def test_it_refuses_to_attach_an_incident_to_itself(email_incident, nicta_agent):
    with pytest.raises(ValidationError, match="cannot be part of itself"):
        services.incident_attach(incident=email_incident, ticket=email_incident, actor=nicta_agent)
    assert fresh(email_incident).parent_id is None


def test_it_refuses_to_attach_to_a_resolved_incident(
    email_incident, nicta_agent, moh_head, email_category, open_ticket
):
    services.incident_resolve(incident=email_incident, actor=nicta_agent, note="Fixed.")
    # Not a match any more either: the incident is over.
    late = open_ticket(moh_head, email_category, subject="Mail down")
    assert fresh(late).parent_id is None

    with pytest.raises(ValidationError, match="is resolved"):
        services.incident_attach(incident=email_incident, ticket=late, actor=nicta_agent)
    assert fresh(late).parent_id is None


def test_it_refuses_an_attachment_that_would_make_a_loop(email_incident, nicta_agent, nicta):
    other = services.incident_declare(
        actor=nicta_agent, category=email_incident.category, subject="Calendar down",
        description="Calendars do not load.",
    )  # fmt: skip
    # Data from before the rules (or the admin) may hold a loop; attaching must not close it.
    Ticket.objects.filter(pk=other.pk).update(parent=email_incident)

    with pytest.raises(ValidationError, match="would be a loop"):
        services.incident_attach(incident=other, ticket=email_incident, actor=nicta_agent)
    assert fresh(email_incident).parent_id is None


def test_it_refuses_a_ticket_already_in_another_incident(email_incident, email_burst, nicta_agent):
    other = services.incident_declare(
        actor=nicta_agent, category=email_incident.category, subject="Calendar down",
        description="Calendars do not load.",
    )  # fmt: skip

    with pytest.raises(ValidationError, match="part of another incident"):
        services.incident_attach(incident=other, ticket=email_burst[0], actor=nicta_agent)
    assert fresh(email_burst[0]).parent == email_incident


def test_it_detaches_a_ticket_and_its_requester_stops_following(
    email_incident, email_burst, nicta_agent
):
    child = email_burst[2]
    services.incident_detach(incident=email_incident, ticket=child, actor=nicta_agent)

    assert fresh(child).parent_id is None
    assert child.requester not in email_incident.watchers.all()
    with pytest.raises(ValidationError, match="not part of this incident"):
        services.incident_detach(incident=email_incident, ticket=child, actor=nicta_agent)


# -- Telling everyone once ---------------------------------------------------------------------


def test_it_sends_an_update_once_per_requester(
    email_incident, email_burst, nicta_agent, mof_requester, email_category, open_ticket,
    committed,
):  # fmt: skip
    # Musu reports twice: one update reaches her once all the same.
    second = open_ticket(mof_requester, email_category, subject="Still no mail")
    assert fresh(second).parent == email_incident
    Outbox.objects.all().delete()

    with committed():
        update = ticket_services.ticket_reply(
            ticket=email_incident, author=nicta_agent, body="A disk failed; we are replacing it.",
            as_agent=True,
        )  # fmt: skip

    requesters = {t.requester.pk for t in email_burst}
    told = Notice.objects.filter(event=update)
    assert sorted(told.values_list("user", flat=True)) == sorted(requesters)
    mailed = Outbox.objects.filter(headers__contains={"X-GovDesk-Ticket": email_incident.reference})
    assert sorted(mailed.values_list("recipient", flat=True)) == sorted(requesters)


def test_it_refuses_replies_from_followers_on_the_incident(email_incident, moh_requester):
    with pytest.raises(ValidationError, match="Reply on your own ticket"):
        ticket_services.ticket_reply(ticket=email_incident, author=moh_requester, body="Me too")


def test_it_resolves_the_children_and_tells_each_requester_once(
    email_incident, email_burst, nicta_agent, committed
):
    Notice.objects.all().delete()
    Outbox.objects.all().delete()

    with committed():
        resolved = services.incident_resolve(
            incident=email_incident, actor=nicta_agent, note="The mail server is back."
        )

    assert resolved == 5
    assert fresh(email_incident).status == "resolved"
    for ticket in email_burst:
        child = fresh(ticket)
        assert child.status == "resolved"
        # Its own history: the note and the change of status.
        assert child.events.filter(kind="reply", body="The mail server is back.").count() == 1
        assert child.events.filter(kind="status", data__new="resolved").count() == 1
    requesters = sorted(t.requester.pk for t in email_burst)
    assert sorted(Notice.objects.values_list("user", flat=True)) == requesters
    assert sorted(Outbox.objects.values_list("recipient", flat=True)) == requesters
    assert AuditEntry.objects.filter(action="incident.resolve").exists()


def test_it_lets_a_child_be_reopened_on_its_own(email_incident, email_burst, nicta_agent):
    services.incident_resolve(incident=email_incident, actor=nicta_agent, note="Back.")
    first = email_burst[0]

    ticket_services.ticket_reopen(ticket=fresh(first), actor=first.requester, reason="Not yet")

    assert fresh(first).status == "open"
    assert fresh(email_burst[1]).status == "resolved"
    assert fresh(email_incident).status == "resolved"


def test_it_refuses_to_resolve_twice_or_without_a_note(email_incident, nicta_agent):
    with pytest.raises(ValidationError):
        services.incident_resolve(incident=email_incident, actor=nicta_agent, note="  ")
    services.incident_resolve(incident=email_incident, actor=nicta_agent, note="Back.")

    with pytest.raises(ValidationError, match="already resolved"):
        services.incident_resolve(incident=email_incident, actor=nicta_agent, note="Back.")


# -- New reports and people affected ----------------------------------------------------------


def test_it_attaches_a_matching_new_ticket_and_tells_its_reporter(
    email_incident, moh_head, email_category, open_ticket
):
    ticket = open_ticket(moh_head, email_category, subject="Mail not arriving")

    # Joined once the report committed: the page its reporter sees next shows it.
    assert fresh(ticket).parent == email_incident
    assert Notice.objects.filter(user=moh_head, kind="incident", ticket=ticket).exists()
    assert moh_head in email_incident.watchers.all()


def test_it_attaches_a_new_ticket_with_a_similar_subject_under_another_service(
    email_incident, moh_head, printer_category, open_ticket
):
    ticket = open_ticket(moh_head, printer_category, subject="Government e-mail is down")

    assert fresh(ticket).parent == email_incident


def test_it_leaves_an_unrelated_new_ticket_alone(
    email_incident, moh_head, printer_category, open_ticket
):
    ticket = open_ticket(moh_head, printer_category, subject="Printer jammed")

    assert fresh(ticket).parent_id is None
    assert not ticket.events.filter(kind=TicketEvent.Kind.INCIDENT).exists()


def test_it_counts_a_person_affected_once(email_incident, moh_head, moh):
    services.incident_affected_add(incident=email_incident, user=moh_head, agency=moh)

    assert IncidentAffected.objects.filter(incident=email_incident, user=moh_head).exists()
    assert moh_head in email_incident.watchers.all()
    with pytest.raises(ValidationError, match="already counted"):
        services.incident_affected_add(incident=email_incident, user=moh_head, agency=moh)
    assert IncidentAffected.objects.count() == 1


def test_it_does_not_count_a_requester_whose_ticket_is_in_it(email_incident, mof_requester, mof):
    with pytest.raises(ValidationError, match="already counted"):
        services.incident_affected_add(incident=email_incident, user=mof_requester, agency=mof)


def test_it_keeps_the_services_categories(platform_admin, email_category):
    service = services.gov_service_save(
        actor=platform_admin, name="Government e-mail", description="",
        categories=[email_category],
    )  # fmt: skip
    services.gov_service_set_state(service=service, state="outage", actor=platform_admin)

    assert list(service.categories.all()) == [Category.objects.get(slug="government-email")]
    service.refresh_from_db()
    assert service.state == "outage"
    with pytest.raises(ValidationError):
        services.gov_service_set_state(service=service, state="melted", actor=platform_admin)
    with pytest.raises(ValidationError, match="already has this name"):
        services.gov_service_save(
            actor=platform_admin, name="government E-MAIL", description="", categories=[]
        )
