"""Secrets in tickets: shown to the handling agents only; redacted for good by an agent."""

import pytest
from rest_framework.test import APIClient

from accounts.token_services import api_token_create
from core.masking import secrets_mask
from tickets import services
from tickets.models import Ticket, TicketEvent

SECRET = "password: Winter2026!"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("my password: Hunter22 works", "password"),
        ("api_key=sk_live_abcdefghijklmnop1234", "api_key"),
        ("card 4111 1111 1111 1111 declined", "card"),
        ("IBAN LR12 3456 7890 1234 5678", "iban"),
        ("NIC 199012345678 please", "national_id"),
    ],
)
def test_it_masks_each_kind_of_secret(text, kind):
    masked = secrets_mask(text)
    assert f"[hidden: {kind}]" in masked


def test_it_leaves_ordinary_text_alone():
    assert secrets_mask("The printer on floor 2 is jammed.") == "The printer on floor 2 is jammed."


def test_an_installation_adds_its_own_pattern(settings):
    settings.PRIVACY_SECRET_PATTERNS = [("passport", r"\bP\d{7}\b")]
    assert secrets_mask("passport P1234567") == "passport [hidden: passport]"


@pytest.fixture
def ticket(open_ticket, mof_requester, mof_agent):
    ticket = open_ticket(mof_requester, description=f"My {SECRET} stopped working.")
    services.ticket_reply(ticket=ticket, author=mof_requester, body=f"Also {SECRET}")
    return ticket


def test_the_handling_agent_sees_the_secret(client, ticket, mof_agent):
    client.force_login(mof_agent)
    page = client.get(f"/tickets/{ticket.reference}/").content.decode()
    assert page.count("Winter2026!") == 2


@pytest.mark.parametrize("persona", ["mof_requester", "a_watcher"])
def test_everyone_else_sees_it_masked(client, request, ticket, persona, mof_requester):
    user = mof_requester if persona == "mof_requester" else None
    if user is None:
        from tests.factories import MembershipFactory, UserFactory

        user = UserFactory(email="watcher@mof.gov.test")
        MembershipFactory(user=user, agency=ticket.requester_agency, role="requester")
        ticket.watchers.add(user)
    client.force_login(user)
    page = client.get(f"/tickets/{ticket.reference}/").content.decode()
    assert "Winter2026!" not in page
    assert "[hidden: password]" in page


def test_an_agent_redacts_a_secret_for_good(client, ticket, mof_agent, mof_requester):
    reply = ticket.events.get(kind=TicketEvent.Kind.REPLY)
    client.force_login(mof_agent)
    response = client.post(
        f"/tickets/{ticket.reference}/messages/{reply.pk}/redact/", {"secret": "Winter2026!"}
    )
    assert response.status_code == 302
    reply.refresh_from_db()
    assert reply.body == "Also password: [removed]"
    redaction = ticket.events.get(kind=TicketEvent.Kind.REDACTED)
    assert (redaction.actor, redaction.data) == (mof_agent, {"event": reply.pk, "whole": False})
    assert "Winter2026!" not in str(redaction.data)


def test_the_ticket_page_links_each_message_to_its_redaction_page(client, ticket, mof_agent):
    client.force_login(mof_agent)
    page = client.get(f"/tickets/{ticket.reference}/").content.decode()
    for event in ticket.events.filter(kind__in=["created", "reply"]):
        assert f'href="/tickets/{ticket.reference}/messages/{event.pk}/redact/"' in page
    assert 'name="secret"' not in page  # no form per message on the ticket page


def test_the_redaction_page_shows_the_message_before_anything_is_removed(
    client, ticket, mof_agent, mof_requester
):
    reply = ticket.events.get(kind=TicketEvent.Kind.REPLY)
    client.force_login(mof_agent)
    response = client.get(f"/tickets/{ticket.reference}/messages/{reply.pk}/redact/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Also password: Winter2026!" in page
    assert f"Written by {mof_requester.get_full_name()}" in page
    assert 'name="secret"' in page
    reply.refresh_from_db()
    assert reply.body == f"Also {SECRET}"


def test_a_refused_redaction_says_why_on_the_same_page(client, ticket, mof_agent):
    reply = ticket.events.get(kind=TicketEvent.Kind.REPLY)
    client.force_login(mof_agent)
    response = client.post(
        f"/tickets/{ticket.reference}/messages/{reply.pk}/redact/", {"secret": "x" * 20001}
    )
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    reply.refresh_from_db()
    assert reply.body == f"Also {SECRET}"


def test_only_a_message_has_a_redaction_page(client, ticket, mof_agent):
    client.force_login(mof_agent)
    services.ticket_update(ticket=ticket, actor=mof_agent, status=Ticket.Status.PENDING)
    status = ticket.events.get(kind=TicketEvent.Kind.STATUS)
    response = client.get(f"/tickets/{ticket.reference}/messages/{status.pk}/redact/")
    assert response.status_code == 404


@pytest.mark.parametrize("persona", ["mof_requester", "moh_agent"])
def test_nobody_else_sees_the_redaction_page(client, request, ticket, persona):
    reply = ticket.events.get(kind=TicketEvent.Kind.REPLY)
    client.force_login(request.getfixturevalue(persona))
    response = client.get(f"/tickets/{ticket.reference}/messages/{reply.pk}/redact/")
    assert response.status_code == 404


def test_an_agent_redacts_the_first_message(client, ticket, mof_agent):
    created = ticket.events.get(kind=TicketEvent.Kind.CREATED)
    client.force_login(mof_agent)
    client.post(f"/tickets/{ticket.reference}/messages/{created.pk}/redact/", {"secret": ""})
    assert Ticket.objects.get(pk=ticket.pk).description == "[removed]"


@pytest.mark.parametrize("persona", ["mof_requester", "moh_agent"])
def test_nobody_else_may_redact(client, request, ticket, persona):
    reply = ticket.events.get(kind=TicketEvent.Kind.REPLY)
    client.force_login(request.getfixturevalue(persona))
    response = client.post(
        f"/tickets/{ticket.reference}/messages/{reply.pk}/redact/", {"secret": "Winter2026!"}
    )
    assert response.status_code == 404
    reply.refresh_from_db()
    assert "Winter2026!" in reply.body


def test_it_refuses_text_that_is_not_in_the_message(client, ticket, mof_agent):
    reply = ticket.events.get(kind=TicketEvent.Kind.REPLY)
    client.force_login(mof_agent)
    response = client.post(
        f"/tickets/{ticket.reference}/messages/{reply.pk}/redact/",
        {"secret": "nothing"},
        follow=True,
    )
    assert "This text is not in the message." in response.content.decode()
    assert not ticket.events.filter(kind=TicketEvent.Kind.REDACTED).exists()


# -- The API shows what the web shows ---------------------------------------------------------


def _api(user) -> APIClient:
    _token, key = api_token_create(user=user, name="Tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _api_texts(user, ticket) -> list[str]:
    client = _api(user)
    detail = client.get(f"/api/v1/tickets/{ticket.reference}/").json()
    events = client.get(f"/api/v1/tickets/{ticket.reference}/events/").json()["results"]
    return [detail["description"], *(event["body"] for event in events if event["body"])]


def test_the_api_shows_the_secret_to_the_handling_agent(ticket, mof_agent):
    texts = _api_texts(mof_agent, ticket)

    assert texts == [f"My {SECRET} stopped working.", f"Also {SECRET}"]


def test_the_api_masks_the_secret_for_the_requester(ticket, mof_requester):
    texts = _api_texts(mof_requester, ticket)

    assert texts == ["My [hidden: password] stopped working.", "Also [hidden: password]"]


def test_the_api_masks_the_secret_in_a_reply_it_answers(ticket, mof_requester):
    response = _api(mof_requester).post(
        f"/api/v1/tickets/{ticket.reference}/comments/", {"body": SECRET}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["body"] == "[hidden: password]"
    assert ticket.events.filter(body=SECRET).exists()
