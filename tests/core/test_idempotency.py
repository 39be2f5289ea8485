"""`Idempotency-Key` on the API's creating endpoints other than reporting (tests/api covers
that one): a retry replays the first answer, another request with the key is refused, a
refusal keeps no key, and the schema tells clients about the header."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from core.idempotency import idempotent
from core.models import IdempotencyKey
from tests.api.conftest import api as api
from tests.api.conftest import media as media
from tests.api.conftest import mof_ticket as mof_ticket
from tests.api.conftest import token_for as token_for
from tests.tickets.conftest import mof_service_desk as mof_service_desk
from tests.tickets.conftest import open_ticket as open_ticket
from tests.tickets.conftest import printer_category as printer_category
from tickets.models import Attachment, TicketEvent

CREATING_OPERATIONS = [
    "/api/v1/tickets/",
    "/api/v1/tickets/{reference}/comments/",
    "/api/v1/tickets/{reference}/transfer/",
    "/api/v1/tickets/{reference}/attachments/",
]


def _url(ticket, suffix):
    return f"/api/v1/tickets/{ticket.reference}/{suffix}"


def _comment(client, ticket, key, body="Fixed the toner."):
    return client.post(
        _url(ticket, "comments/"), {"body": body}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )


def _upload(client, ticket, key, content):
    return client.post(
        _url(ticket, "attachments/"),
        {"file": [SimpleUploadedFile("error.txt", content, "text/plain")]},
        format="multipart",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def _replies(ticket):
    return TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.REPLY).count()


def test_it_answers_a_retried_comment_with_the_first_one(api, mof_ticket, mof_agent):
    client = api(mof_agent)

    first = _comment(client, mof_ticket, "c1")
    again = _comment(client, mof_ticket, "c1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert _replies(mof_ticket) == 1


def test_it_refuses_a_comment_key_reused_with_another_body(api, mof_ticket, mof_agent):
    client = api(mof_agent)
    _comment(client, mof_ticket, "c1")

    response = _comment(client, mof_ticket, "c1", body="Something else")

    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()
    assert _replies(mof_ticket) == 1


def test_it_keeps_no_key_for_a_refused_comment(api, mof_ticket, mof_agent):
    client = api(mof_agent)
    refused = client.post(
        _url(mof_ticket, "comments/"), {"body": ""}, format="json", HTTP_IDEMPOTENCY_KEY="c1"
    )

    accepted = _comment(client, mof_ticket, "c1")

    assert (refused.status_code, accepted.status_code) == (400, 201)
    assert _replies(mof_ticket) == 1


def test_it_answers_a_retried_transfer_with_the_first_answer(api, mof_ticket, mof_agent, nicta):
    client = api(mof_agent)
    url, body = _url(mof_ticket, "transfer/"), {"agency": "NICTA", "reason": "Theirs."}

    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="t")
    again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="t")

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    transfers = TicketEvent.objects.filter(ticket=mof_ticket, kind=TicketEvent.Kind.TRANSFER)
    assert transfers.count() == 1


def test_it_refuses_a_key_used_on_another_endpoint(api, mof_ticket, mof_agent, nicta):
    client = api(mof_agent)
    _comment(client, mof_ticket, "k")

    response = client.post(
        _url(mof_ticket, "transfer/"),
        {"agency": "NICTA", "reason": "Theirs."},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )

    assert response.status_code == 422
    mof_ticket.refresh_from_db()
    assert mof_ticket.agency.code == "MOF"


def test_it_answers_a_retried_upload_with_the_first_files(api, media, mof_ticket, mof_requester):
    client = api(mof_requester)

    first = _upload(client, mof_ticket, "u1", b"Error 41.2\n")
    again = _upload(client, mof_ticket, "u1", b"Error 41.2\n")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Attachment.objects.filter(ticket=mof_ticket).count() == 1


def test_it_tells_apart_two_files_of_the_same_name(api, media, mof_ticket, mof_requester):
    client = api(mof_requester)
    _upload(client, mof_ticket, "u1", b"Error 41.2\n")

    response = _upload(client, mof_ticket, "u1", b"Error 99.9\n")

    assert response.status_code == 422
    assert Attachment.objects.filter(ticket=mof_ticket).count() == 1


def test_it_keeps_no_key_without_the_header(api, mof_ticket, mof_agent):
    response = api(mof_agent).post(_url(mof_ticket, "comments/"), {"body": "Fixed."}, format="json")

    assert response.status_code == 201
    assert not IdempotencyKey.objects.exists()


class RefusingView(APIView):
    """A view that answers a refusal instead of raising one."""

    authentication_classes = []
    permission_classes = []
    throttle_classes = []

    @idempotent
    def post(self, request):
        return Response({"detail": "Not now."}, status=409)


def test_it_keeps_no_key_for_a_refusal_answered_rather_than_raised(mof_agent):
    request = APIRequestFactory().post(
        "/refusing/", {"n": 1}, format="json", HTTP_IDEMPOTENCY_KEY="r"
    )
    force_authenticate(request, user=mof_agent)

    response = RefusingView.as_view()(request)

    assert response.status_code == 409
    assert not IdempotencyKey.objects.exists()


@pytest.mark.parametrize("path", CREATING_OPERATIONS)
def test_it_documents_the_header_on_every_creating_endpoint(client, path):
    schema = client.get("/api/v1/schema/?format=json").json()

    parameters = schema["paths"][path]["post"].get("parameters", [])

    assert {"name": "Idempotency-Key", "in": "header"}.items() <= next(
        (p for p in parameters if p["name"] == "Idempotency-Key"), {}
    ).items()


def test_it_costs_seven_queries_more_with_a_key(api, mof_ticket, mof_agent):
    client = api(mof_agent)
    _comment(client, mof_ticket, "", body="The first reply, which also answers the ticket.")
    with CaptureQueriesContext(connection) as without_key:
        _comment(client, mof_ticket, "", body="Another reply")

    with CaptureQueriesContext(connection) as with_key:
        _comment(client, mof_ticket, "c1", body="A reply with a key")

    # 1 the person's expired keys deleted, 2 the transaction's savepoint, 3 the claim's
    # savepoint, 4 the key claimed, 5 the claim's savepoint released, 6 the answer kept,
    # 7 the transaction's savepoint released (BEGIN and COMMIT outside tests)
    assert len(with_key.captured_queries) == len(without_key.captured_queries) + 7
