"""Canned responses and macros: scopes, placeholders, languages, usage, all-or-nothing macros."""

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from accounts.models import Membership
from agencies.models import Team
from tickets.models import Ticket, TicketEvent
from workspace import selectors, services
from workspace.models import CannedResponse, Macro, Scope


def membership(user) -> Membership:
    return user.memberships.select_related("agency").get()


@pytest.fixture
def greeting(mof_agent):
    return services.canned_response_save(
        membership=membership(mof_agent),
        scope=Scope.PERSONAL,
        title="Greeting",
        body_en="Hello {{ requester.first_name }}, {{ agent.name }} has {{ ticket.reference }}.",
        body_fr="Bonjour {{ requester.first_name }}, {{ agent.name }} traite {{ticket.reference}}.",
    )


def test_it_inserts_the_text_in_the_requesters_language(greeting, ticket, mof_agent):
    text = services.canned_response_use(response=greeting, ticket=ticket, agent=mof_agent)
    assert text == f"Bonjour Musu, James Tarpeh traite {ticket.reference}."
    greeting.refresh_from_db()
    assert greeting.usage_count == 1


def test_it_falls_back_on_english_without_a_french_text(mof_agent, ticket):
    response = services.canned_response_save(
        membership=membership(mof_agent), scope=Scope.PERSONAL, title="Only English",
        body_en="Hello {{ requester.name }}",
    )  # fmt: skip
    assert services.canned_response_render(response=response, ticket=ticket, agent=mof_agent) == (
        "Hello Musu Kollie"
    )


def test_it_fills_placeholders_as_plain_text_only(mof_agent, ticket):
    ticket.subject = "{{ agent.name }} <script>"
    response = services.canned_response_save(
        membership=membership(mof_agent), scope=Scope.PERSONAL, title="Subject",
        body_en="About: {{ticket.subject}}",
    )  # fmt: skip
    text = services.canned_response_render(response=response, ticket=ticket, agent=mof_agent)
    # A value is never read for placeholders again, and nothing is run.
    assert text == "About: {{ agent.name }} <script>"


@pytest.mark.parametrize("text", ["Hi {{ requester.password }}", "{{ settings.SECRET_KEY }}"])
def test_it_refuses_an_unknown_placeholder_with_a_clear_message(mof_agent, text):
    with pytest.raises(ValidationError) as refused:
        services.canned_response_save(
            membership=membership(mof_agent), scope=Scope.PERSONAL, title="Bad", body_en=text
        )
    assert "Unknown placeholder" in refused.value.message_dict["body_en"][0]
    assert "{{ requester.first_name }}" in refused.value.message_dict["body_en"][0]
    assert not CannedResponse.objects.exists()


def test_it_keeps_agency_responses_for_the_agencys_admins_only(mof_agent, mof_head):
    with pytest.raises(ValidationError, match="may not keep"):
        services.canned_response_save(
            membership=membership(mof_agent), scope=Scope.AGENCY, title="T", body_en="x"
        )
    saved = services.canned_response_save(
        membership=membership(mof_head), scope=Scope.AGENCY, title="T", body_en="x"
    )
    assert saved.agency.code == "MOF"


def test_it_keeps_the_government_library_for_platform_admins(mof_head, platform_admin):
    with pytest.raises(ValidationError):
        services.canned_response_save(
            membership=membership(mof_head), scope=Scope.GOVERNMENT, title="T", body_en="x"
        )
    saved = services.canned_response_save(
        membership=membership(platform_admin), scope=Scope.GOVERNMENT, title="T", body_en="x"
    )
    assert saved.agency is None and saved.owner is None


def test_it_hides_another_agencys_response(mof_head, moh_agent):
    response = services.canned_response_save(
        membership=membership(mof_head), scope=Scope.AGENCY, title="MOF only", body_en="x"
    )
    with pytest.raises(Http404):
        selectors.response_get_for_user(moh_agent, membership(moh_agent), response.pk)


def test_it_answers_404_for_another_agencys_response_on_a_ticket(
    client, mof_head, moh_agent, ticket
):
    response = services.canned_response_save(
        membership=membership(mof_head), scope=Scope.AGENCY, title="MOF only", body_en="x"
    )
    client.force_login(moh_agent)
    answer = client.post(
        f"/tickets/{ticket.reference}/responses/insert/", {"response": response.pk}
    )
    assert answer.status_code == 404


# -- Inserting on the ticket page ---------------------------------------------------------------


def test_it_inserts_without_javascript_through_the_session(agent_client, greeting, ticket):
    answer = agent_client.post(
        f"/tickets/{ticket.reference}/responses/insert/", {"response": greeting.pk}
    )
    assert answer.status_code == 302
    assert answer["Location"].endswith(f"/tickets/{ticket.reference}/")
    draft = agent_client.session[f"reply_draft:{ticket.reference}"]
    assert draft.startswith("Bonjour Musu")


def test_it_answers_a_script_with_the_text(agent_client, greeting, ticket):
    answer = agent_client.post(
        f"/tickets/{ticket.reference}/responses/insert/",
        {"response": greeting.pk},
        headers={"X-Requested-With": "fetch"},
    )
    assert answer.json()["text"].startswith("Bonjour Musu")


def test_it_offers_the_tools_above_the_reply_box(agent_client, greeting, macro, ticket):
    page = agent_client.get(f"/tickets/{ticket.reference}/").content.decode()
    assert 'data-insert-response="reply_body"' in page
    assert "Greeting" in page and "Ask and wait" in page


# -- Macros -------------------------------------------------------------------------------------


@pytest.fixture
def macro(mof_agent, greeting):
    return services.macro_save(
        membership=membership(mof_agent),
        scope=Scope.PERSONAL,
        name="Ask and wait",
        response=greeting,
        status=Ticket.Status.PENDING,
        impact="medium",
        urgency="high",
    )


def test_it_applies_a_macro_in_one_step_recording_each_change(macro, ticket, mof_agent):
    services.macro_apply(macro=macro, ticket=ticket, actor=mof_agent)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Ticket.Status.PENDING, "P2")
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds[-3:] == [
        TicketEvent.Kind.STATUS,
        TicketEvent.Kind.STATUS,
        TicketEvent.Kind.PRIORITY,
    ]
    reply = ticket.events.get(kind=TicketEvent.Kind.REPLY)
    assert reply.body.startswith("Bonjour Musu") and reply.is_public
    macro.refresh_from_db()
    macro.response.refresh_from_db()
    assert (macro.usage_count, macro.response.usage_count) == (1, 1)


def test_it_applies_nothing_when_the_ticket_cannot_take_the_status(macro, ticket, mof_agent):
    from tickets import services as ticket_services

    ticket_services.ticket_update(ticket=ticket, actor=mof_agent, status=Ticket.Status.CLOSED)
    events_before = ticket.events.count()
    with pytest.raises(ValidationError, match="closed"):
        services.macro_apply(macro=macro, ticket=ticket, actor=mof_agent)
    assert ticket.events.count() == events_before
    macro.refresh_from_db()
    assert macro.usage_count == 0


def test_it_applies_nothing_when_a_later_change_fails(mof_agent, greeting, ticket, moh):
    other_team = Team.objects.create(agency=moh, name="Elsewhere")
    macro = Macro.objects.create(
        scope=Scope.PERSONAL, owner=mof_agent, name="Bad team", response=greeting,
        team=other_team,
    )  # fmt: skip
    with pytest.raises(ValidationError, match="another agency"):
        services.macro_apply(macro=macro, ticket=ticket, actor=mof_agent)
    assert not ticket.events.filter(kind=TicketEvent.Kind.REPLY).exists()


def test_it_refuses_a_macro_sending_a_ticket_back_to_new(mof_agent):
    with pytest.raises(ValidationError, match="back to New"):
        services.macro_save(
            membership=membership(mof_agent), scope=Scope.PERSONAL, name="x", status="new"
        )


def test_it_refuses_a_shared_macro_sending_a_personal_response(mof_head, greeting):
    with pytest.raises(ValidationError):
        services.macro_save(
            membership=membership(mof_head), scope=Scope.AGENCY, name="Shared",
            response=greeting, status="pending",
        )  # fmt: skip
    assert not Macro.objects.exists()


def test_it_applies_a_macro_from_the_page(agent_client, macro, ticket):
    answer = agent_client.post(
        f"/tickets/{ticket.reference}/macros/apply/",
        {"macro": macro.pk, "version": ticket.version},
    )
    assert answer.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.PENDING


def test_it_refuses_a_stale_macro_from_the_page(agent_client, macro, ticket, mof_agent):
    from tickets import services as ticket_services

    ticket_services.ticket_assign(ticket=ticket, assignee=mof_agent, actor=mof_agent)
    agent_client.post(
        f"/tickets/{ticket.reference}/macros/apply/",
        {"macro": macro.pk, "version": ticket.version},
    )
    ticket.refresh_from_db()
    assert ticket.status != Ticket.Status.PENDING


def test_it_answers_404_for_another_persons_macro(client, macro, ticket, mof_head):
    client.force_login(mof_head)
    answer = client.post(f"/tickets/{ticket.reference}/macros/apply/", {"macro": macro.pk})
    assert answer.status_code == 404
    ticket.refresh_from_db()
    assert ticket.status != Ticket.Status.PENDING


# -- The library page ---------------------------------------------------------------------------


def test_it_lists_the_library_in_a_fixed_number_of_queries(
    agent_client, greeting, macro, mof_agent, django_assert_num_queries
):
    for number in range(3):
        services.canned_response_save(
            membership=membership(mof_agent), scope=Scope.PERSONAL, title=f"R{number}",
            body_fr="Bonjour",
        )  # fmt: skip
    # 1 session, 1 user, 1 memberships, 1 unread notices (header);
    # 1 responses with their agency, 1 macros with their agency, team and response.
    with django_assert_num_queries(6):
        page = agent_client.get("/workspace/library/?lang=fr")
    assert page.status_code == 200
    assert "R2" in page.content.decode()


def test_it_saves_a_response_from_its_form(agent_client):
    answer = agent_client.post(
        "/workspace/responses/new/",
        {"title": "Thanks", "scope": "personal", "body_en": "Thanks {{ agent.first_name }}"},
    )
    assert answer.status_code == 302
    assert CannedResponse.objects.get().title == "Thanks"


def test_it_shows_an_unknown_placeholder_on_the_form(agent_client):
    answer = agent_client.post(
        "/workspace/responses/new/",
        {"title": "Bad", "scope": "personal", "body_en": "Hi {{ requester.salary }}"},
    )
    assert answer.status_code == 400
    assert "Unknown placeholder: {{ requester.salary }}" in answer.content.decode()
    assert not CannedResponse.objects.exists()


def test_it_refuses_to_change_an_item_kept_by_others(client, mof_head, mof_agent):
    response = services.canned_response_save(
        membership=membership(mof_head), scope=Scope.AGENCY, title="Agency", body_en="x"
    )
    client.force_login(mof_agent)
    assert client.get(f"/workspace/responses/{response.pk}/").status_code == 403


def test_it_shows_the_inserted_response_as_the_reply_without_javascript(
    agent_client, greeting, ticket
):
    agent_client.post(f"/tickets/{ticket.reference}/responses/insert/", {"response": greeting.pk})
    page = agent_client.get(f"/tickets/{ticket.reference}/").content.decode()
    assert "Bonjour Musu, James Tarpeh traite" in page
    assert f"reply_draft:{ticket.reference}" not in agent_client.session


def test_it_counts_the_ticket_tools_in_two_queries(
    rf, mof_agent, greeting, macro, ticket, django_assert_num_queries
):
    from django.template import Context, Template

    request = rf.get("/")
    request.user, request.membership = mof_agent, membership(mof_agent)
    template = Template('{% include "workspace/_ticket_tools.html" %}')
    # 1 responses, 1 macros (the ticket and its requester are the page's already).
    with django_assert_num_queries(2):
        html = template.render(Context({"request": request, "ticket": ticket}))
    assert "Ask and wait" in html
