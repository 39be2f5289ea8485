"""The tickets endpoints: reading, reporting, changing, the history, comments, transfers."""

from datetime import timedelta

import pytest

from accounts.models import Role
from tests.factories import MembershipFactory, TeamFactory, UserFactory
from tickets import services
from tickets.models import Ticket, TicketEvent


def warm(client):
    """The client after one request: its token's last use is written then, and the counted
    request that follows within the minute writes nothing."""
    client.get("/api/v1/me/")
    return client


def _ticket_url(ticket, suffix=""):
    return f"/api/v1/tickets/{ticket.reference}/{suffix}"


# -- Reading ----------------------------------------------------------------------------------


def test_it_shows_a_ticket_with_its_service_level(api, mof_ticket, mof_requester):
    body = api(mof_requester).get(_ticket_url(mof_ticket)).json()

    assert body["reference"] == mof_ticket.reference
    assert body["requester"] == {"email": "requester@mof.gov.test", "name": "Musu Kollie"}
    assert body["agency"] == "MOF"
    assert body["requester_agency"] == "MOF"
    assert body["category"] == "computer-and-printer"
    assert body["team"]["name"] == "Service desk"
    assert set(body["sla"]) == {
        "policy", "response_due_at", "resolution_due_at", "response_breached",
        "resolution_breached", "paused",
    }  # fmt: skip
    assert body["sla"]["paused"] is False
    assert body["created_at"].endswith("Z") or "+" in body["created_at"]


def test_it_reads_a_ticket_in_a_fixed_number_of_queries(
    api, mof_ticket, mof_agent, django_assert_num_queries
):
    client = warm(api(mof_agent))

    # 1 token and its user, 2 memberships (acting as), 3 the ticket through the door with
    # everything it shows joined
    with django_assert_num_queries(3):
        response = client.get(_ticket_url(mof_ticket))

    assert response.status_code == 200


@pytest.mark.parametrize("count", [2, 20])
def test_it_lists_tickets_in_a_fixed_number_of_queries(
    api, mof_service_desk, printer_category, mof_requester, open_ticket, count,
    django_assert_num_queries,
):  # fmt: skip
    for n in range(count):
        open_ticket(mof_requester, printer_category, subject=f"Problem {n}")
    client = warm(api(mof_requester))

    # 1 token and its user, 2 memberships (acting as), 3 the page of tickets with everything
    # they show joined
    with django_assert_num_queries(3):
        response = client.get("/api/v1/tickets/?page_size=100")

    assert len(response.json()["results"]) == count


def test_it_pages_with_a_cursor(
    api, mof_service_desk, printer_category, mof_requester, open_ticket
):
    for n in range(3):
        open_ticket(mof_requester, printer_category, subject=f"Problem {n}")
    client = api(mof_requester)

    first = client.get("/api/v1/tickets/?page_size=2").json()
    second = client.get(first["next"]).json()

    assert first["previous"] is None
    assert [t["subject"] for t in first["results"]] == ["Problem 2", "Problem 1"]
    assert [t["subject"] for t in second["results"]] == ["Problem 0"]
    assert second["next"] is None


def test_it_caps_the_page_size_at_100(api, mof_requester):
    response = api(mof_requester).get("/api/v1/tickets/?page_size=1000")

    assert response.status_code == 200


@pytest.fixture
def queue(mof, mof_service_desk, printer_category, mof_requester, mof_agent, open_ticket):
    """Three MOF tickets: one assigned to the agent, one resolved, one P1 in another team."""
    mof_service_desk.members.add(mof_agent)
    other_team = TeamFactory(agency=mof, name="Network")
    assigned = open_ticket(mof_requester, printer_category, subject="Printer jammed")
    services.ticket_assign(ticket=assigned, assignee=mof_agent, actor=mof_agent)
    resolved = open_ticket(mof_requester, printer_category, subject="Screen flickers")
    services.ticket_update(ticket=resolved, actor=mof_agent, status="resolved")
    urgent = open_ticket(
        mof_requester, printer_category, subject="Network down", impact="high", urgency="high"
    )
    services.ticket_update(ticket=urgent, actor=mof_agent, team=other_team)
    return {"assigned": assigned, "resolved": resolved, "urgent": urgent, "team": other_team}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=resolved", {"resolved"}),
        ("priority=P1", {"urgent"}),
        ("agency=mof", {"assigned", "resolved", "urgent"}),
        ("agency=MOH", set()),
        ("assignee=me", {"assigned"}),
        ("assignee=AGENT@mof.gov.test", {"assigned"}),
        ("assignee=none", {"resolved", "urgent"}),
        ("category=computer-and-printer", {"assigned", "resolved", "urgent"}),
        ("category=payroll", set()),
        ("q=jammed", {"assigned"}),
        ("updated_after=2000-01-01T00:00:00Z", {"assigned", "resolved", "urgent"}),
        ("updated_after=2999-01-01T00:00:00%2B01:00", set()),
    ],
)
def test_it_filters_tickets(api, mof_agent, queue, query, expected):
    body = api(mof_agent).get(f"/api/v1/tickets/?{query}").json()

    references = {t["reference"] for t in body["results"]}
    assert references == {queue[name].reference for name in expected}


def test_it_filters_by_team(api, mof_agent, queue):
    body = api(mof_agent).get(f"/api/v1/tickets/?team={queue['team'].pk}").json()

    assert [t["reference"] for t in body["results"]] == [queue["urgent"].reference]


def test_it_orders_tickets(api, mof_agent, queue):
    oldest_first = api(mof_agent).get("/api/v1/tickets/?ordering=created_at").json()
    recently_updated = api(mof_agent).get("/api/v1/tickets/?ordering=-updated_at").json()

    assert [t["subject"] for t in oldest_first["results"]] == [
        "Printer jammed", "Screen flickers", "Network down",
    ]  # fmt: skip
    assert recently_updated["results"][0]["subject"] == "Network down"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=lost", "status"),
        ("priority=P9", "priority"),
        ("team=abc", "team"),
        ("updated_after=yesterday", "updated_after"),
        ("ordering=subject", "ordering"),
        ("q=" + "x" * 201, "q"),
    ],
)
def test_it_refuses_a_bad_filter_naming_it(api, mof_agent, query, field):
    response = api(mof_agent).get(f"/api/v1/tickets/?{query}")

    assert response.status_code == 400
    assert field in response.json()


def test_it_keeps_the_search_of_internal_notes_for_agents(
    api, mof_ticket, mof_agent, mof_requester
):
    services.ticket_reply(
        ticket=mof_ticket, author=mof_agent, body="fuser unit", internal=True, as_agent=True
    )

    assert api(mof_agent).get("/api/v1/tickets/?q=fuser").json()["results"]
    assert not api(mof_requester).get("/api/v1/tickets/?q=fuser").json()["results"]


# -- Reporting --------------------------------------------------------------------------------


def _report(**fields):
    return {
        "subject": "Cannot print",
        "description": "The printer says offline.",
        "category": "computer-and-printer",
        "impact": "low",
        "urgency": "medium",
        **fields,
    }


def test_it_reports_a_problem(api, mof_service_desk, printer_category, mof_requester):
    response = api(mof_requester).post("/api/v1/tickets/", _report(), format="json")

    assert response.status_code == 201
    body = response.json()
    ticket = Ticket.objects.get(reference=body["reference"])
    assert ticket.requester == mof_requester
    assert ticket.channel == Ticket.Channel.API
    assert body["priority"] == "P4"
    assert body["url"].endswith(f"/api/v1/tickets/{ticket.reference}/")


def test_it_lets_an_agent_log_a_call(
    api, mof_service_desk, printer_category, mof_agent, mof_requester
):
    response = api(mof_agent).post(
        "/api/v1/tickets/",
        _report(requester="Requester@mof.gov.test", channel="phone"),
        format="json",
    )

    assert response.status_code == 201
    ticket = Ticket.objects.get(reference=response.json()["reference"])
    assert (ticket.requester, ticket.channel) == (mof_requester, Ticket.Channel.PHONE)
    created = ticket.events.get(kind=TicketEvent.Kind.CREATED)
    assert created.actor == mof_agent


def test_it_refuses_a_requester_reporting_for_someone_else(
    api, mof_service_desk, printer_category, mof_requester, mof_agent
):
    response = api(mof_requester).post(
        "/api/v1/tickets/", _report(requester="agent@mof.gov.test"), format="json"
    )

    assert response.status_code == 403
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"category": "no-such-service"}, "category"),
        ({"category": "mof-payroll"}, "category"),  # another agency's own service
        ({"impact": "huge"}, "impact"),
        ({"urgency": 3}, "urgency"),
        ({"subject": "x" * 201}, "subject"),
        ({"subject": "   "}, "subject"),
        ({"description": ["not", "text"]}, "description"),
        ({"requester": "not an address", "channel": "phone"}, "requester"),
        ({"channel": "email"}, "channel"),
    ],
)
def test_it_refuses_bad_input_naming_the_field(
    api, mof_service_desk, printer_category, payroll_category, moh_requester, moh_agent,
    fields, field,
):  # fmt: skip
    response = api(moh_agent).post("/api/v1/tickets/", _report(**fields), format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Ticket.objects.exists()


def test_it_refuses_an_unknown_requester(api, mof_service_desk, printer_category, mof_agent):
    response = api(mof_agent).post(
        "/api/v1/tickets/", _report(requester="ghost@mof.gov.test"), format="json"
    )

    assert response.status_code == 400
    assert "requester" in response.json()


def test_it_answers_malformed_json_with_400(api, mof_requester):
    response = api(mof_requester).post(
        "/api/v1/tickets/", data='{"subject": ', content_type="application/json"
    )

    assert response.status_code == 400
    assert "detail" in response.json()


def test_it_ignores_unknown_fields(api, mof_service_desk, printer_category, mof_requester):
    response = api(mof_requester).post(
        "/api/v1/tickets/", _report(priority="P1", colour="blue"), format="json"
    )

    assert response.status_code == 201
    assert response.json()["priority"] == "P4"


# -- Idempotency ------------------------------------------------------------------------------


def test_it_answers_a_retried_post_with_the_first_ticket(
    api, mof_service_desk, printer_category, mof_requester
):
    client = api(mof_requester)

    first = client.post("/api/v1/tickets/", _report(), format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = client.post("/api/v1/tickets/", _report(), format="json", HTTP_IDEMPOTENCY_KEY="k1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Ticket.objects.count() == 1


def test_it_scopes_idempotency_keys_by_person(
    api, mof_service_desk, printer_category, mof_requester, mof_agent
):
    api(mof_requester).post("/api/v1/tickets/", _report(), format="json", HTTP_IDEMPOTENCY_KEY="k")
    api(mof_agent).post("/api/v1/tickets/", _report(), format="json", HTTP_IDEMPOTENCY_KEY="k")

    assert Ticket.objects.count() == 2


def test_it_refuses_a_key_reused_with_another_body(
    api, mof_service_desk, printer_category, mof_requester
):
    client = api(mof_requester)
    client.post("/api/v1/tickets/", _report(), format="json", HTTP_IDEMPOTENCY_KEY="k1")

    response = client.post(
        "/api/v1/tickets/", _report(subject="Other"), format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )

    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()
    assert Ticket.objects.count() == 1


def test_it_lets_a_key_be_used_again_after_a_refusal(
    api, mof_service_desk, printer_category, mof_requester
):
    client = api(mof_requester)
    refused = client.post(
        "/api/v1/tickets/", _report(impact="x"), format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )

    accepted = client.post("/api/v1/tickets/", _report(), format="json", HTTP_IDEMPOTENCY_KEY="k1")

    assert (refused.status_code, accepted.status_code) == (400, 201)


def test_it_refuses_an_over_long_key(api, mof_requester):
    response = api(mof_requester).post(
        "/api/v1/tickets/", _report(), format="json", HTTP_IDEMPOTENCY_KEY="k" * 201
    )

    assert response.status_code == 400


# -- Changing ---------------------------------------------------------------------------------


def test_it_lets_an_agent_change_a_ticket(api, mof, mof_ticket, mof_agent):
    team = TeamFactory(agency=mof, name="Network")

    response = api(mof_agent).patch(
        _ticket_url(mof_ticket),
        {"status": "pending", "impact": "high", "urgency": "high", "team": team.pk,
         "assignee": "agent@mof.gov.test"},
        format="json",
    )  # fmt: skip

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["priority"], body["team"]["id"]) == ("pending", "P1", team.pk)
    assert body["assignee"]["email"] == "agent@mof.gov.test"
    assert body["sla"]["paused"] is True


def test_it_unassigns_with_null(api, mof_ticket, mof_agent):
    services.ticket_assign(ticket=mof_ticket, assignee=mof_agent, actor=mof_agent)

    response = api(mof_agent).patch(_ticket_url(mof_ticket), {"assignee": None}, format="json")

    assert response.json()["assignee"] is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"assignee": "agent@moh.gov.test"}, "assignee"),
        ({"team": 999999}, "team"),
        ({"category": "nothing-like-it"}, "category"),
        ({"status": "lost"}, "status"),
        ({"impact": "enormous"}, "impact"),
    ],
)
def test_it_refuses_a_bad_change_naming_the_field(
    api, mof_ticket, mof_agent, moh_agent, change, field
):
    response = api(mof_agent).patch(_ticket_url(mof_ticket), change, format="json")

    assert response.status_code == 400
    assert field in response.json()


def test_it_refuses_a_change_over_someone_elses_with_409(api, mof_ticket, mof_agent):
    version = mof_ticket.version
    services.ticket_update(ticket=mof_ticket, actor=mof_agent, impact="high")

    response = api(mof_agent).patch(
        _ticket_url(mof_ticket), {"status": "open", "version": version}, format="json"
    )

    assert response.status_code == 409


def test_it_lets_the_requester_close_their_ticket(api, mof_ticket, mof_requester):
    response = api(mof_requester).patch(
        _ticket_url(mof_ticket), {"status": "closed"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == "closed"


def test_it_lets_the_requester_reopen_a_resolved_ticket(api, mof_ticket, mof_requester, mof_agent):
    services.ticket_update(ticket=mof_ticket, actor=mof_agent, status="resolved")

    response = api(mof_requester).patch(_ticket_url(mof_ticket), {"status": "open"}, format="json")

    assert response.json()["status"] == "open"


def test_it_refuses_reopening_a_ticket_that_is_not_resolved(api, mof_ticket, mof_requester):
    response = api(mof_requester).patch(_ticket_url(mof_ticket), {"status": "open"}, format="json")

    assert response.status_code == 400
    assert "status" in response.json()


@pytest.mark.parametrize("change", [{"impact": "high"}, {"status": "resolved"}])
def test_it_answers_403_to_a_requester_changing_what_agents_change(
    api, mof_ticket, mof_requester, change
):
    response = api(mof_requester).patch(_ticket_url(mof_ticket), change, format="json")

    assert response.status_code in (400, 403)
    mof_ticket.refresh_from_db()
    assert (mof_ticket.impact, mof_ticket.status) == ("low", "new")


def test_it_answers_403_to_a_watcher_closing_the_ticket(api, mof_ticket, mof_requester, mof):
    colleague = UserFactory(email="colleague@mof.gov.test")
    MembershipFactory(user=colleague, agency=mof, role=Role.REQUESTER)
    services.ticket_watcher_add(ticket=mof_ticket, email=colleague.email, actor=mof_requester)

    response = api(colleague).patch(_ticket_url(mof_ticket), {"status": "closed"}, format="json")

    assert response.status_code == 403


# -- History and conversation -----------------------------------------------------------------


def test_it_hides_internal_notes_from_the_requester(api, mof_ticket, mof_agent, mof_requester):
    services.ticket_reply(ticket=mof_ticket, author=mof_agent, body="On my way.", as_agent=True)
    services.ticket_reply(
        ticket=mof_ticket, author=mof_agent, body="Fuser again?", internal=True, as_agent=True
    )

    as_requester = api(mof_requester).get(_ticket_url(mof_ticket, "events/")).json()["results"]
    as_agent = api(mof_agent).get(_ticket_url(mof_ticket, "events/")).json()["results"]

    assert "Fuser again?" not in {e["body"] for e in as_requester}
    assert all(e["public"] for e in as_requester)
    assert {"On my way.", "Fuser again?"} <= {e["body"] for e in as_agent}


def test_it_shows_internal_notes_to_the_agency_that_transferred_the_ticket(
    api, mof_ticket, mof_agent, nicta
):
    services.ticket_reply(
        ticket=mof_ticket, author=mof_agent, body="Fuser again?", internal=True, as_agent=True
    )
    services.ticket_transfer(ticket=mof_ticket, to_agency=nicta, reason="Theirs", actor=mof_agent)

    events = api(mof_agent).get(_ticket_url(mof_ticket, "events/")).json()["results"]

    assert "Fuser again?" in {e["body"] for e in events}


@pytest.mark.parametrize("count", [2, 20])
def test_it_lists_events_in_a_fixed_number_of_queries(
    api, mof_ticket, mof_agent, count, django_assert_num_queries
):
    for n in range(count):
        services.ticket_reply(ticket=mof_ticket, author=mof_agent, body=f"Reply {n}", as_agent=True)
    client = warm(api(mof_agent))

    # 1 token and its user, 2 memberships, 3 the ticket through the door, 4 the page of events
    # with their actors, 5 their files (the handling agency's agent reads internal notes: no
    # query to ask whether their agency transferred the ticket away)
    with django_assert_num_queries(5):
        response = client.get(_ticket_url(mof_ticket, "events/?page_size=100"))

    assert len(response.json()["results"]) >= count


def test_it_adds_a_public_reply(api, mof_ticket, mof_agent):
    response = api(mof_agent).post(
        _ticket_url(mof_ticket, "comments/"), {"body": "Fixed the toner."}, format="json"
    )

    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["public"]) == ("reply", True)
    mof_ticket.refresh_from_db()
    assert mof_ticket.first_response_at is not None


def test_it_adds_an_internal_note_for_an_agent(api, mof_ticket, mof_agent):
    response = api(mof_agent).post(
        _ticket_url(mof_ticket, "comments/"), {"body": "Check fuser", "internal": True},
        format="json",
    )  # fmt: skip

    assert (response.json()["kind"], response.json()["public"]) == ("note", False)


def test_it_refuses_an_internal_note_from_a_requester(api, mof_ticket, mof_requester):
    response = api(mof_requester).post(
        _ticket_url(mof_ticket, "comments/"), {"body": "Psst", "internal": True}, format="json"
    )

    assert response.status_code == 403
    assert not mof_ticket.events.filter(kind=TicketEvent.Kind.NOTE).exists()


def test_it_refuses_an_empty_comment(api, mof_ticket, mof_requester):
    response = api(mof_requester).post(
        _ticket_url(mof_ticket, "comments/"), {"body": ""}, format="json"
    )

    assert response.status_code == 400
    assert "body" in response.json()


# -- Transfers --------------------------------------------------------------------------------


def test_it_transfers_a_ticket(api, mof_ticket, mof_agent, nicta):
    response = api(mof_agent).post(
        _ticket_url(mof_ticket, "transfer/"),
        {"agency": "nicta", "reason": "The mail server is theirs."},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["agency"] == "NICTA"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"agency": "MOF", "reason": "Same"}, "agency"),
        ({"agency": "XYZ", "reason": "Nobody"}, "agency"),
        ({"agency": "NICTA", "reason": ""}, "reason"),
        ({"agency": "NICTA", "reason": "x" * 2001}, "reason"),
    ],
)
def test_it_refuses_a_bad_transfer_naming_the_field(
    api, mof_ticket, mof_agent, nicta, fields, field
):
    response = api(mof_agent).post(_ticket_url(mof_ticket, "transfer/"), fields, format="json")

    assert response.status_code == 400
    assert field in response.json()
    mof_ticket.refresh_from_db()
    assert mof_ticket.agency.code == "MOF"


def test_it_answers_403_to_a_requester_transferring(api, mof_ticket, mof_requester, nicta):
    response = api(mof_requester).post(
        _ticket_url(mof_ticket, "transfer/"), {"agency": "NICTA", "reason": "x"}, format="json"
    )

    assert response.status_code == 403


def test_it_answers_413_to_a_body_too_large(api, mof_requester, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = api(mof_requester).post(
        "/api/v1/tickets/", _report(description="x" * 2000), format="json"
    )

    assert response.status_code == 413
    assert not Ticket.objects.exists()


def test_it_refuses_an_id_beyond_the_database_with_400(api, mof_agent, mof_ticket):
    client = api(mof_agent)

    listed = client.get(f"/api/v1/tickets/?team={2**70}")
    changed = client.patch(_ticket_url(mof_ticket), {"team": 2**70}, format="json")

    assert (listed.status_code, changed.status_code) == (400, 400)


def test_it_takes_an_empty_filter_for_no_filter(api, mof_agent, queue):
    body = api(mof_agent).get("/api/v1/tickets/?status=&assignee=&q=&agency=&ordering=").json()

    assert len(body["results"]) == 3


def test_it_forgets_a_key_after_a_day(api, mof_service_desk, printer_category, mof_requester):
    import time_machine
    from django.utils import timezone

    client = api(mof_requester)
    client.post("/api/v1/tickets/", _report(), format="json", HTTP_IDEMPOTENCY_KEY="k1")

    with time_machine.travel(timezone.now() + timedelta(hours=24, seconds=1)):
        again = client.post(
            "/api/v1/tickets/", _report(subject="A new one"), format="json",
            HTTP_IDEMPOTENCY_KEY="k1",
        )  # fmt: skip

    assert again.status_code == 201
    assert Ticket.objects.count() == 2
