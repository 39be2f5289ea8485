"""Resolving or closing a major incident through the ordinary status control offers the same
cascade as "Resolve all": confirmed, with one note to everyone, never silently."""

import pytest
from django.core.exceptions import ValidationError

from tests.tickets.test_agent_actions import update_data
from tickets import services as ticket_services
from tickets.models import Ticket


def statuses(incident) -> set[str]:
    return set(Ticket.objects.filter(parent=incident).values_list("status", flat=True))


@pytest.mark.parametrize("status", ["resolved", "closed"])
def test_it_offers_the_cascade_from_the_ordinary_control(
    client, email_incident, nicta_agent, status
):
    client.force_login(nicta_agent)
    incident = Ticket.objects.get(pk=email_incident.pk)
    response = client.post(
        f"/tickets/{incident.reference}/update/", update_data(incident, status=status)
    )
    assert response.status_code == 302
    assert response["Location"] == f"/incidents/{incident.reference}/resolve/"
    # Nothing changed yet: the incident and its five tickets wait for the confirmation.
    assert Ticket.objects.get(pk=incident.pk).status == incident.status
    assert "resolved" not in statuses(incident)
    confirm = client.get(response["Location"])
    text = confirm.content.decode()
    assert "has 5 open tickets. Resolving the incident resolves them too" in text
    assert 'name="note"' in text and "Resolve all" in text
    client.post(response["Location"], {"note": "The mail relay is back."})
    assert Ticket.objects.get(pk=incident.pk).status == "resolved"
    assert statuses(incident) == {"resolved"}


def test_it_says_what_the_ordinary_control_will_do(client, email_incident, nicta_agent):
    client.force_login(nicta_agent)
    text = client.get(f"/tickets/{email_incident.reference}/").content.decode()
    assert "Resolving or closing this major incident resolves its open tickets with it" in text


def test_it_never_resolves_an_incident_silently_through_the_service(email_incident, nicta_agent):
    with pytest.raises(ValidationError) as refusal:
        ticket_services.ticket_update(ticket=email_incident, actor=nicta_agent, status="closed")
    assert refusal.value.code == ticket_services.INCIDENT_CHILDREN_OPEN
    assert "has 5 open tickets" in refusal.value.messages[0]
    assert Ticket.objects.get(pk=email_incident.pk).status == email_incident.status


def test_it_resolves_an_incident_whose_tickets_are_all_resolved_as_any_ticket(
    email_incident, email_burst, nicta_agent
):
    for child in email_burst:
        ticket_services.ticket_update(ticket=child, actor=nicta_agent, status="resolved")
    ticket_services.ticket_update(ticket=email_incident, actor=nicta_agent, status="resolved")
    assert Ticket.objects.get(pk=email_incident.pk).status == "resolved"


def test_it_answers_404_to_the_confirmation_outside_the_owner_agency(
    client, email_incident, mof_agent
):
    client.force_login(mof_agent)
    assert client.get(f"/incidents/{email_incident.reference}/resolve/").status_code == 404
