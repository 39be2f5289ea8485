"""/api/v1/tickets/{reference}/satisfaction/: read by whoever reads the ticket; answered once
by its requester."""

from django.core import signing

from satisfaction import services
from satisfaction.models import Survey


def _url(ticket) -> str:
    return f"/api/v1/tickets/{ticket.reference}/satisfaction/"


def test_it_says_not_asked_before_the_resolution(client, ticket, mof_agent):
    client.force_login(mof_agent)
    assert client.get(_url(ticket)).json()["state"] == "not_asked"


def test_it_lets_the_requester_answer_once(client, ticket, resolve, mof_requester):
    resolve(ticket)
    client.force_login(mof_requester)
    first = client.post(_url(ticket), {"rating": "good"}, content_type="application/json")
    assert first.status_code == 200
    assert first.json()["state"] == "answered" and first.json()["agency"] == "MOF"
    again = client.post(_url(ticket), {"rating": "bad"}, content_type="application/json")
    assert again.status_code == 400
    assert "already answered" in str(again.json())
    assert Survey.objects.get().rating == "good"


def test_it_refuses_the_answer_of_anyone_but_the_requester(client, ticket, resolve, mof_agent):
    resolve(ticket)
    client.force_login(mof_agent)
    response = client.post(_url(ticket), {"rating": "good"}, content_type="application/json")
    assert response.status_code == 403
    assert client.get(_url(ticket)).json()["state"] == "open"


def test_it_refuses_a_token_of_another_resolution(client, ticket, resolve, mof_requester):
    event = resolve(ticket)
    forged = signing.dumps({"t": ticket.pk, "e": event.pk + 999}, salt=services.TOKEN_SALT)
    client.force_login(mof_requester)
    response = client.post(
        _url(ticket), {"rating": "good", "token": forged}, content_type="application/json"
    )
    assert response.status_code == 400 and "token" in response.json()
    assert not Survey.objects.filter(answered_at__isnull=False).exists()


def test_it_answers_404_outside_the_ticket_door(client, ticket, resolve, moh_agent):
    resolve(ticket)
    client.force_login(moh_agent)
    assert client.get(_url(ticket)).status_code == 404
    assert (
        client.post(_url(ticket), {"rating": "bad"}, content_type="application/json").status_code
        == 404
    )
