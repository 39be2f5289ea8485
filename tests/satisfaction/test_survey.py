"""One question per resolution, answered by the e-mail's link or on the ticket's page."""

import re

import pytest
from django.core import signing

from mail.models import Outbox
from satisfaction import services
from satisfaction.models import Survey
from tickets import services as ticket_services
from tickets.models import TicketEvent


def _url(event) -> str:
    return f"/satisfaction/{services.survey_token(event)}/"


def test_it_asks_once_per_resolution(ticket, resolve):
    event = resolve(ticket)
    services.surveys_open_for([event])  # a redelivered event asks nothing twice
    survey = Survey.objects.get()
    assert (survey.resolution_id, survey.agency.code, survey.requester) == (
        event.pk, "MOF", ticket.requester,
    )  # fmt: skip
    assert not survey.is_answered


def test_it_answers_by_the_emailed_link_without_signing_in(client, ticket, resolve):
    event = resolve(ticket)
    assert client.get(_url(event)).status_code == 200
    response = client.post(_url(event), {"rating": "good", "comment": "Quick, thanks."})
    assert response.status_code == 302
    survey = Survey.objects.get()
    assert (survey.rating, survey.comment) == ("good", "Quick, thanks.")
    recorded = ticket.events.get(kind=TicketEvent.Kind.SATISFACTION)
    assert recorded.data["rating"] == "good" and not recorded.is_public


def test_it_refuses_a_second_answer(client, ticket, resolve):
    event = resolve(ticket)
    client.post(_url(event), {"rating": "good"})
    response = client.post(_url(event), {"rating": "bad"})
    assert Survey.objects.get().rating == "good"
    assert response.status_code == 200  # the page says it is answered; nothing changed
    assert ticket.events.filter(kind=TicketEvent.Kind.SATISFACTION).count() == 1


def test_it_asks_again_after_a_reopen_and_refuses_the_old_link(
    client, ticket, resolve, mof_requester
):
    first = resolve(ticket)
    ticket_services.ticket_reopen(ticket=ticket, actor=mof_requester, reason="Back again")
    response = client.post(_url(first), {"rating": "good"})
    assert "reopened since" in response.content.decode()
    second = resolve(ticket)
    assert Survey.objects.count() == 2
    client.post(_url(second), {"rating": "good"})
    assert Survey.objects.get(resolution=second).rating == "good"
    assert Survey.objects.get(resolution=first).rating == ""


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: "not-a-token",
        lambda token: signing.dumps({"t": 1, "e": 1}, salt="another.purpose"),
    ],
)
def test_it_refuses_an_altered_link(client, ticket, resolve, tamper):
    event = resolve(ticket)
    response = client.post(
        f"/satisfaction/{tamper(services.survey_token(event))}/", {"rating": "bad"}
    )
    assert response.status_code == 404
    assert "not valid" in response.content.decode()
    assert not Survey.objects.filter(answered_at__isnull=False).exists()


def test_it_refuses_an_expired_link(client, ticket, resolve, time_machine):
    event = resolve(ticket)
    url = _url(event)
    time_machine.move_to(event.created_at.timestamp() + 15 * 24 * 3600)
    response = client.post(url, {"rating": "good"})
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert not Survey.objects.filter(answered_at__isnull=False).exists()


def test_it_refuses_a_link_naming_another_tickets_resolution(client, ticket, resolve):
    event = resolve(ticket)
    forged = signing.dumps({"t": ticket.pk + 1000, "e": event.pk}, salt=services.TOKEN_SALT)
    assert client.get(f"/satisfaction/{forged}/").status_code == 404


def test_it_refuses_a_comment_of_ten_thousand_characters(client, ticket, resolve):
    event = resolve(ticket)
    response = client.post(_url(event), {"rating": "bad", "comment": "x" * 10000})
    assert "under 2000 characters" in response.content.decode()
    assert not Survey.objects.filter(answered_at__isnull=False).exists()
    assert not Outbox.objects.filter(subject__contains="not satisfied").exists()


def test_it_tells_the_team_lead_of_a_bad_answer(client, ticket, resolve, mof_head, committed):
    event = resolve(ticket)
    with committed():
        client.post(_url(event), {"rating": "bad", "comment": "Still jams."})
    [message] = Outbox.objects.filter(subject__contains="not satisfied")
    assert message.to_address == mof_head.email
    assert "Still jams." in message.body_text and ticket.reference in message.body_text


def test_it_offers_the_requester_to_reopen_after_a_bad_answer(client, ticket, resolve):
    event = resolve(ticket)
    client.post(_url(event), {"rating": "bad"})
    page = client.get(_url(event)).content.decode()
    assert "Reopen the ticket" in page
    client.post(_url(event), {"action": "reopen", "reason": "Still jams."})
    ticket.refresh_from_db()
    assert ticket.status == "open"
    reopened = ticket.events.filter(kind="status").latest("created_at", "pk")
    assert reopened.actor == ticket.requester and reopened.data["reason"] == "Still jams."


def test_it_counts_for_the_agency_that_resolved_it(ticket, resolve, mof_agent, moh):
    event = resolve(ticket)
    ticket_services.ticket_transfer(
        ticket=ticket, to_agency=moh, actor=mof_agent, reason="Belongs to MOH after all"
    )
    survey = services.survey_open(event)
    assert survey.agency.code == "MOF"


def test_it_shows_the_link_page_to_nobody_else_signed_in(client, ticket, resolve, mof_agent):
    event = resolve(ticket)
    client.force_login(mof_agent)
    assert client.get(_url(event)).status_code == 404


def test_it_asks_on_the_resolved_tickets_page(client, ticket, resolve, mof_requester):
    resolve(ticket)
    client.force_login(mof_requester)
    page = client.get(f"/tickets/{ticket.reference}/").content.decode()
    assert "How did we do?" in page
    token = services.survey_token_of(Survey.objects.get())
    response = client.post(f"/satisfaction/{token}/", {"rating": "good"})
    assert response["Location"] == f"/tickets/{ticket.reference}/"
    assert (
        "You said the problem was solved well" in client.get(response["Location"]).content.decode()
    )


def test_it_serves_the_link_page_in_a_fixed_number_of_queries(
    client, ticket, resolve, django_assert_num_queries
):
    event = resolve(ticket)
    url = _url(event)
    client.get(url)
    # the resolving event with its ticket, the survey, the ticket's latest resolution (is it
    # current), the survey again after the form (fresh), the ticket's latest resolution for
    # the page's "current".
    with django_assert_num_queries(5):
        assert client.get(url).status_code == 200


def test_it_puts_the_question_in_the_resolution_email_of_the_requester_only(
    client, ticket, resolve, mof_requester, moh_requester, settings
):
    settings.GOVDESK_EMAIL_GROUP_SECONDS = 0
    ticket.watchers.add(moh_requester)
    event = resolve(ticket)
    to_requester = Outbox.objects.get(recipient=mof_requester, parts__0__kind="resolved")
    to_watcher = Outbox.objects.get(recipient=moh_requester, parts__0__kind="resolved")
    [link] = re.findall(r"https?://\S+(/satisfaction/[^/\s]+/)", to_requester.body_text)
    assert link in to_requester.body_html
    assert "/satisfaction/" not in to_watcher.body_text
    # The link in the e-mail works without signing in, for this resolution.
    assert services.survey_from_token(link.split("/")[2]).resolution_id == event.pk
    assert client.get(link).status_code == 200
