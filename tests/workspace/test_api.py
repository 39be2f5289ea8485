"""The workspace's API: saved views, canned responses (q, lang), time entries; 404 outside."""

import pytest

from tests.workspace.test_library import membership
from tickets.models import TimeEntry
from workspace import services
from workspace.models import Scope


@pytest.fixture
def api(client):
    def api(user):
        client.force_login(user)
        return client

    return api


def test_it_lists_saved_views(api, mof_agent, django_assert_num_queries):
    services.saved_view_create(
        owner=mof_agent, membership=membership(mof_agent), name="Mine", query="view=mine"
    )
    client = api(mof_agent)
    # 1 session, 1 user, 1 memberships; 1 page of views with team and owner.
    with django_assert_num_queries(4):
        answer = client.get("/api/v1/views/")
    assert [v["name"] for v in answer.json()["results"]] == ["Mine"]
    assert answer.json()["results"][0]["url"].endswith("/queue/?view=mine")


def test_it_lists_responses_by_words_and_language(api, mof_agent, django_assert_num_queries):
    m = membership(mof_agent)
    services.canned_response_save(
        membership=m, scope=Scope.PERSONAL, title="Printer", body_en="Printer", body_fr="Imprimante"
    )
    services.canned_response_save(
        membership=m, scope=Scope.PERSONAL, title="Mail", body_en="Mailbox"
    )
    client = api(mof_agent)
    # 1 session, 1 user, 1 memberships; 1 page of responses with their agency.
    with django_assert_num_queries(4):
        answer = client.get("/api/v1/responses/?lang=fr")
    assert [(r["title"], r["texts"]) for r in answer.json()["results"]] == [
        ("Printer", {"fr": "Imprimante"})
    ]
    assert [r["title"] for r in client.get("/api/v1/responses/?q=mailbox").json()["results"]] == [
        "Mail"
    ]
    assert client.get("/api/v1/responses/?lang=de").status_code == 400


def test_it_records_and_lists_time_entries(api, mof_agent, ticket, django_assert_num_queries):
    client = api(mof_agent)
    answer = client.post(
        f"/api/v1/tickets/{ticket.reference}/time-entries/",
        {"minutes": 30},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["minutes"] == 30
    # 1 session, 1 user, 1 memberships; 1 ticket through the door; 1 page of entries.
    with django_assert_num_queries(5):
        listed = client.get(f"/api/v1/tickets/{ticket.reference}/time-entries/")
    assert [e["minutes"] for e in listed.json()["results"]] == [30]


@pytest.mark.parametrize("minutes", [-1, 0, 1441, "a lot"])
def test_it_refuses_absurd_minutes(api, mof_agent, ticket, minutes):
    answer = api(mof_agent).post(
        f"/api/v1/tickets/{ticket.reference}/time-entries/",
        {"minutes": minutes},
        content_type="application/json",
    )
    assert answer.status_code == 400
    assert "minutes" in answer.json() or "errors" in answer.json() or answer.json()
    assert not TimeEntry.objects.exists()


@pytest.mark.parametrize("outsider", ["moh_agent", "moh_head", "council_member"])
def test_it_answers_404_outside_the_door(api, request, ticket, outsider):
    client = api(request.getfixturevalue(outsider))
    url = f"/api/v1/tickets/{ticket.reference}/time-entries/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"minutes": 5}, content_type="application/json").status_code == 404


def test_it_hides_time_entries_from_the_requester(api, french_requester, ticket):
    url = f"/api/v1/tickets/{ticket.reference}/time-entries/"
    assert api(french_requester).get(url).status_code == 404


def test_it_lists_nothing_to_someone_who_works_no_queue(api, mof_requester):
    assert api(mof_requester).get("/api/v1/views/").json()["results"] == []
    assert api(mof_requester).get("/api/v1/responses/").json()["results"] == []
