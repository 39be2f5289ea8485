"""The API takes what its schema declares and nothing DRF would otherwise coerce: each refusal
is a 400 naming the parameter or field; a cursor it did not give is a 404 naming the cursor;
and a call logged for another agency answers the shape the schema declares for it."""

import pytest

from tickets.models import Ticket


def _ticket_url(ticket, suffix=""):
    return f"/api/v1/tickets/{ticket.reference}/{suffix}"


# -- Query parameters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("page_size=null", "page_size"),
        ("page_size=0", "page_size"),
        ("page_size=-3", "page_size"),
        ("page_size=5&page_size=6", "page_size"),
        ("updated_after=", "updated_after"),
        ("updated_after=yesterday", "updated_after"),
        ("team=", "team"),
        ("status=open&status=new", "status"),
        ("q=printer%00", "q"),
    ],
)
def test_it_refuses_a_query_parameter_outside_the_schema(api, mof_requester, query, parameter):
    response = api(mof_requester).get(f"/api/v1/tickets/?{query}")

    assert response.status_code == 400
    assert list(response.json()) == [parameter]


def test_it_still_takes_an_empty_filter_for_no_filter(api, mof_ticket, mof_requester):
    response = api(mof_requester).get("/api/v1/tickets/?status=&q=&ordering=")

    assert response.status_code == 200
    assert [t["reference"] for t in response.json()["results"]] == [mof_ticket.reference]


@pytest.mark.parametrize("cursor", ["bm9uc2Vuc2U", "cD1hYmM%3D", "%F0%9F%90%8D"])
def test_it_answers_404_for_a_cursor_it_did_not_give(api, mof_ticket, mof_requester, cursor):
    # "nonsense", a position that is no time ("p=abc"), and no base64 at all.
    for url in ("/api/v1/tickets/", _ticket_url(mof_ticket, "events/")):
        response = api(mof_requester).get(f"{url}?cursor={cursor}")

        assert response.status_code == 404, url
        assert "cursor" in response.json()["detail"]


# -- Bodies -----------------------------------------------------------------------------------


def test_it_refuses_a_non_boolean_internal(api, mof_ticket, mof_agent):
    for internal in ("yes", "true", 1, None):
        response = api(mof_agent).post(
            _ticket_url(mof_ticket, "comments/"),
            {"body": "Restarted the spooler.", "internal": internal},
            format="json",
        )

        assert response.status_code == 400, internal
        assert list(response.json()) == ["internal"]
    assert not mof_ticket.events.filter(body="Restarted the spooler.").exists()


def test_it_takes_true_or_false_for_internal_in_a_form(api, mof_ticket, mof_agent):
    refused = api(mof_agent).post(
        _ticket_url(mof_ticket, "comments/"), {"body": "A note", "internal": "on"}
    )
    taken = api(mof_agent).post(
        _ticket_url(mof_ticket, "comments/"), {"body": "A note", "internal": "true"}
    )

    assert refused.status_code == 400
    assert list(refused.json()) == ["internal"]
    assert taken.status_code == 201
    assert taken.json()["public"] is False


def test_it_refuses_an_empty_field_in_a_form_rather_than_ignoring_it(api, mof_ticket, mof_agent):
    response = api(mof_agent).post(
        _ticket_url(mof_ticket, "transfer/"), {"agency": "", "reason": "Theirs."}
    )

    assert response.status_code == 400
    assert list(response.json()) == ["agency"]


def test_it_changes_a_ticket_in_json_only(api, mof_ticket, mof_agent):
    """A change may set a team or an assignee to none, which a form cannot say."""
    version = mof_ticket.version

    response = api(mof_agent).patch(_ticket_url(mof_ticket), {"status": ""}, format="multipart")

    assert response.status_code == 415
    mof_ticket.refresh_from_db()
    assert mof_ticket.version == version


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"status": ""}, "status"),
        ({"version": "3"}, "version"),
        ({"impact": 2}, "impact"),
        ({"category": 7}, "category"),
        ({"team": True}, "team"),
    ],
)
def test_it_refuses_a_json_value_of_another_type(api, mof_ticket, mof_agent, change, field):
    response = api(mof_agent).patch(_ticket_url(mof_ticket), change, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_it_refuses_a_body_that_is_not_an_object(api, mof_ticket, mof_agent):
    response = api(mof_agent).patch(_ticket_url(mof_ticket), False, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]


def test_it_refuses_an_upload_with_no_file(api, mof_ticket, mof_requester):
    response = api(mof_requester).post(
        _ticket_url(mof_ticket, "attachments/"), {"body": "Here"}, format="multipart"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["file"]


# -- A call logged for another agency ---------------------------------------------------------


def test_it_answers_a_call_logged_for_an_agency_the_agent_does_not_see_with_a_receipt(
    api, mof_service_desk, nicta_email_team, email_category, mof_agent, mof_requester
):
    response = api(mof_agent).post(
        "/api/v1/tickets/",
        {
            "subject": "Mailbox full",
            "description": "The caller's mailbox refuses new messages.",
            "category": email_category.slug,
            "impact": "medium",
            "urgency": "high",
            "requester": mof_requester.email,
            "channel": "phone",
        },
        format="json",
    )

    assert response.status_code == 201
    ticket = Ticket.objects.get()
    assert response.json() == {"logged_as": ticket.reference, "handled_by": "NICTA"}
