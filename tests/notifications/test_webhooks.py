"""Webhooks: registered by agency admins, refused for private addresses, signed, sent through
the outbox (retried with backoff, each attempt logged), never carrying internal notes."""

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.models import AuditEntry
from mail.delivery import outbox_deliver, outbox_requeue_unsent
from mail.models import Outbox
from tickets import services
from webhooks.client import webhook_url_check
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import webhook_create

ALL_EVENTS = [
    "ticket.created", "ticket.updated", "ticket.commented", "ticket.assigned",
    "ticket.transferred", "ticket.escalated",
]  # fmt: skip
SECRET = "a shared secret of sixteen+ characters"


class Receiver:
    """An HTTP server on loopback standing for an agency's system: keeps every request and
    answers with the status it is told to."""

    def __init__(self):
        self.requests: list[dict] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/govdesk/events"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def payloads(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests]


@pytest.fixture
def private_urls_allowed(settings):
    settings.GOVDESK_WEBHOOK_ALLOW_PRIVATE_URLS = True


@pytest.fixture
def receiver(private_urls_allowed):
    receiver = Receiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def endpoint(receiver, mof, mof_head):
    endpoint, _secret = webhook_create(
        agency=mof, url=receiver.url, events=ALL_EVENTS, actor=mof_head, secret=SECRET
    )
    return endpoint


def webhook_rows():
    return Outbox.objects.filter(channel=Outbox.Channel.WEBHOOK).order_by("pk")


def deliver_webhooks() -> int:
    return sum(outbox_deliver(outbox_id=row.pk) for row in webhook_rows().filter(state="pending"))


def verify(secret: str, header: str, body: bytes) -> bool:
    """What a receiver does with X-GovDesk-Signature (README.md shows the same)."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    expected = hmac.new(secret.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), fields["v1"])


# -- Which addresses ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://224.0.0.1/hook",
        "https://0.0.0.0/hook",
    ],
)
def test_it_refuses_addresses_on_private_networks(url, settings):
    settings.GOVDESK_WEBHOOK_ALLOW_PRIVATE_URLS = False

    with pytest.raises(ValidationError) as refused:
        webhook_url_check(url)

    assert "url" in refused.value.message_dict


@pytest.mark.parametrize(
    "url", ["http://93.184.216.34/hook", "ftp://93.184.216.34/", "https://user:pw@93.184.216.34/"]
)
def test_it_refuses_plain_http_and_other_schemes_and_credentials(url, settings):
    settings.GOVDESK_WEBHOOK_ALLOW_PRIVATE_URLS = False

    with pytest.raises(ValidationError):
        webhook_url_check(url)


def test_it_accepts_a_public_https_address(settings):
    settings.GOVDESK_WEBHOOK_ALLOW_PRIVATE_URLS = False

    assert webhook_url_check(" https://93.184.216.34/hook ") == "https://93.184.216.34/hook"


def test_it_checks_the_address_again_when_delivering(
    receiver, settings, open_ticket, mof, mof_head
):
    port = receiver.url.split(":")[2].split("/")[0]
    webhook_create(
        agency=mof, url=f"https://127.0.0.1:{port}/", events=ALL_EVENTS, actor=mof_head,
        secret=SECRET,
    )  # fmt: skip
    open_ticket()
    settings.GOVDESK_WEBHOOK_ALLOW_PRIVATE_URLS = False  # as if its name now resolved inside

    deliver_webhooks()

    assert receiver.requests == []
    row = webhook_rows().get()
    assert (row.state, row.attempts) == ("pending", 1)
    assert "non-public address" in row.last_error
    assert WebhookDelivery.objects.get().error.startswith("refused")


def test_it_calls_no_plain_http_address_once_private_ones_are_refused(
    endpoint, receiver, settings, open_ticket
):
    open_ticket()
    settings.GOVDESK_WEBHOOK_ALLOW_PRIVATE_URLS = False

    deliver_webhooks()

    assert receiver.requests == []
    assert "only https" in webhook_rows().get().last_error


# -- What is sent -------------------------------------------------------------------------------


def test_it_sends_a_signed_event_for_a_new_ticket(endpoint, receiver, open_ticket):
    ticket = open_ticket()

    assert deliver_webhooks() == 1

    (request,) = receiver.requests
    assert verify(SECRET, request["headers"]["X-GovDesk-Signature"], request["body"])
    assert not verify("another secret", request["headers"]["X-GovDesk-Signature"], request["body"])
    assert request["headers"]["X-GovDesk-Event"] == "ticket.created"
    assert request["headers"]["Content-Type"] == "application/json"
    payload = json.loads(request["body"])
    assert payload["event"] == "ticket.created"
    assert payload["ticket"]["reference"] == ticket.reference
    assert payload["ticket"]["agency"] == "MOF"
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status_code, delivery.attempt, delivery.succeeded) == (200, 1, True)


def test_it_never_sends_internal_notes(endpoint, receiver, open_ticket, mof_agent, committed):
    ticket = open_ticket()
    with committed():
        services.ticket_reply(
            ticket=ticket, author=mof_agent, body="Secret fuser note", internal=True,
            as_agent=True,
        )  # fmt: skip
        services.ticket_reply(ticket=ticket, author=mof_agent, body="On my way", as_agent=True)

    deliver_webhooks()

    events = [p["event"] for p in receiver.payloads()]
    assert events.count("ticket.commented") == 1
    assert b"Secret fuser note" not in b"".join(r["body"] for r in receiver.requests)
    commented = next(p for p in receiver.payloads() if p["event"] == "ticket.commented")
    assert commented["comment"] == {"body": "On my way", "author": "agent@mof.gov.test"}


def test_it_sends_changes_assignments_and_transfers(
    endpoint, receiver, open_ticket, mof_agent, nicta, committed
):
    ticket = open_ticket()
    # Each change commits on its own, as each request does.
    with committed():
        services.ticket_update(ticket=ticket, actor=mof_agent, impact="high")
    with committed():
        services.ticket_assign(ticket=ticket, assignee=mof_agent, actor=mof_agent)
    with committed():
        services.ticket_transfer(ticket=ticket, to_agency=nicta, reason="Mail", actor=mof_agent)

    deliver_webhooks()

    events = [p["event"] for p in receiver.payloads()]
    assert {"ticket.created", "ticket.updated", "ticket.assigned", "ticket.transferred"} <= set(
        events
    )
    transferred = next(p for p in receiver.payloads() if p["event"] == "ticket.transferred")
    # The agency that sent the ticket away hears of it: its endpoint is MOF's.
    assert transferred["change"]["old"] == "MOF" and transferred["change"]["new"] == "NICTA"


def test_it_sends_only_the_events_subscribed_to(
    receiver, mof, mof_head, open_ticket, mof_agent, committed
):
    webhook_create(
        agency=mof, url=receiver.url, events=["ticket.commented"], actor=mof_head, secret=SECRET
    )
    ticket = open_ticket()
    with committed():
        services.ticket_update(ticket=ticket, actor=mof_agent, impact="high")

    assert not webhook_rows().exists()


def test_it_sends_nothing_to_another_agencys_endpoint(receiver, moh, moh_head, open_ticket):
    webhook_create(agency=moh, url=receiver.url, events=ALL_EVENTS, actor=moh_head, secret=SECRET)

    open_ticket()

    assert not webhook_rows().exists()


# -- Retries ----------------------------------------------------------------------------------


def test_it_retries_with_backoff_and_logs_every_attempt(endpoint, receiver, open_ticket):
    open_ticket()
    receiver.status = 503

    deliver_webhooks()
    row = webhook_rows().get()
    assert (row.state, row.attempts) == ("pending", 1)
    assert row.next_attempt_at > timezone.now()
    assert "503" in row.last_error

    receiver.status = 200
    with time_machine.travel(row.next_attempt_at + timedelta(seconds=1)):
        assert outbox_requeue_unsent() == 1  # beat finds it due; its task is queued
        assert outbox_deliver(outbox_id=row.pk)

    row.refresh_from_db()
    assert (row.state, row.attempts) == ("sent", 2)
    assert list(
        WebhookDelivery.objects.order_by("attempt").values_list("attempt", "status_code")
    ) == [(1, 503), (2, 200)]
    # The same delivery id both times, so that the receiver can tell a retry from a new event.
    assert len({r["headers"]["X-GovDesk-Delivery"] for r in receiver.requests}) == 1


def test_it_delivers_once_when_the_task_runs_twice(endpoint, receiver, open_ticket):
    open_ticket()
    row = webhook_rows().get()

    assert outbox_deliver(outbox_id=row.pk)
    assert not outbox_deliver(outbox_id=row.pk)

    assert len(receiver.requests) == 1


@pytest.mark.worker
@pytest.mark.xdist_group("worker")
def test_it_delivers_through_a_real_worker(
    transactional_db, monkeypatch, request, private_urls_allowed, mof, mof_head, open_ticket
):
    receiver = Receiver()
    request.addfinalizer(receiver.stop)
    webhook_create(
        agency=mof, url=receiver.url, events=["ticket.created"], actor=mof_head, secret=SECRET
    )
    # The worker reads its settings from the environment it starts with.
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE_URLS", "1")
    worker = request.getfixturevalue("celery_worker_process")

    open_ticket()  # committed: its delivery task is queued after the commit

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not receiver.requests:
        assert worker.poll() is None, "the worker exited"
        time.sleep(0.2)
    assert [p["event"] for p in receiver.payloads()] == ["ticket.created"]
    row = webhook_rows().get()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and row.state != "sent":
        time.sleep(0.1)
        row.refresh_from_db()
    assert row.state == "sent"


# -- The agency admin's pages -------------------------------------------------------------------


def test_it_registers_an_endpoint_and_shows_its_secret_once(client, mof_head, private_urls_allowed):
    client.force_login(mof_head)

    response = client.post(
        "/agencies/MOF/webhooks/",
        {"url": "http://127.0.0.1:9/hook", "events": ["ticket.created", "ticket.commented"]},
    )

    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    secret = response.context["secret"]
    assert secret in response.content.decode()
    assert endpoint.secret == secret and secret not in endpoint.secret_encrypted
    assert endpoint.events == ["ticket.created", "ticket.commented"]
    assert AuditEntry.objects.filter(action="webhook.created").exists()
    detail = client.get(f"/agencies/MOF/webhooks/{endpoint.pk}/")
    assert secret not in detail.content.decode()


def test_it_shows_why_an_address_is_refused(client, mof_head, settings):
    settings.GOVDESK_WEBHOOK_ALLOW_PRIVATE_URLS = False
    client.force_login(mof_head)

    response = client.post(
        "/agencies/MOF/webhooks/", {"url": "https://127.0.0.1/hook", "events": ["ticket.created"]}
    )

    assert response.status_code == 200
    assert "url" in response.context["form"].errors
    assert not WebhookEndpoint.objects.exists()


def test_it_changes_and_removes_an_endpoint(client, mof_head, endpoint, receiver):
    client.force_login(mof_head)

    client.post(
        f"/agencies/MOF/webhooks/{endpoint.pk}/",
        {"url": receiver.url, "events": ["ticket.assigned"], "is_active": "", "secret": ""},
    )
    endpoint.refresh_from_db()
    assert (endpoint.events, endpoint.is_active, endpoint.secret) == (
        ["ticket.assigned"], False, SECRET,
    )  # fmt: skip

    client.post(f"/agencies/MOF/webhooks/{endpoint.pk}/delete/")
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("count", [2, 20])
def test_it_shows_the_delivery_log_in_a_fixed_number_of_queries(
    client, mof_head, endpoint, receiver, open_ticket, count, django_assert_num_queries
):
    for n in range(count):
        open_ticket(subject=f"Problem {n}")
    deliver_webhooks()
    client.force_login(mof_head)

    # 1 session, 2 user, 3 memberships (acting as), 4 the agency, 5 the endpoint, 6 its
    # latest deliveries, 7 unread notices in the header
    with django_assert_num_queries(7):
        response = client.get(f"/agencies/MOF/webhooks/{endpoint.pk}/")

    assert len(response.context["deliveries"]) == count


@pytest.mark.parametrize("persona", ["mof_agent", "mof_requester", "moh_head"])
def test_it_answers_404_to_all_but_the_agencys_admins(client, request, endpoint, persona):
    client.force_login(request.getfixturevalue(persona))

    assert client.get("/agencies/MOF/webhooks/").status_code == 404
    assert client.get(f"/agencies/MOF/webhooks/{endpoint.pk}/").status_code == 404
    assert client.post(f"/agencies/MOF/webhooks/{endpoint.pk}/delete/").status_code == 404
    assert WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("count", [2, 20])
def test_it_lists_endpoints_in_a_fixed_number_of_queries(
    client, mof, mof_head, private_urls_allowed, count, django_assert_num_queries
):
    for n in range(count):
        webhook_create(
            agency=mof, url=f"http://127.0.0.1:9/hook/{n}", events=["ticket.created"],
            actor=mof_head, secret=SECRET,
        )  # fmt: skip
    client.force_login(mof_head)

    # 1 session, 2 user, 3 memberships (acting as), 4 the agency, 5 its endpoints, 6 unread
    # notices in the header
    with django_assert_num_queries(6):
        response = client.get("/agencies/MOF/webhooks/")

    assert response.content.decode().count("/hook/") == count


def test_it_sends_an_escalation_without_anyones_words(endpoint, receiver, open_ticket, committed):
    from tickets.events import events_publish
    from tickets.models import TicketEvent

    ticket = open_ticket()
    with committed():
        escalation = TicketEvent.objects.create(
            ticket=ticket, kind=TicketEvent.Kind.ESCALATION, is_public=False,
            created_at=timezone.now(),
            data={"level": 1, "clock": "response", "percent": 100, "notify": "team",
                  "breach": True},
        )  # fmt: skip
        events_publish([escalation])

    deliver_webhooks()

    escalated = next(p for p in receiver.payloads() if p["event"] == "ticket.escalated")
    assert escalated["escalation"] == {
        "level": 1, "clock": "response", "percent": 100, "breach": True,
    }  # fmt: skip


def test_it_sends_an_event_to_the_agency_that_held_the_ticket_then(
    endpoint, receiver, open_ticket, mof_agent, nicta, committed
):
    """Subscribers run after the commit, here after the ticket has already moved on: the
    change and the assignment still go to MOF, which held the ticket when they happened."""
    ticket = open_ticket()
    with committed():
        services.ticket_update(ticket=ticket, actor=mof_agent, impact="high")
        services.ticket_assign(ticket=ticket, assignee=mof_agent, actor=mof_agent)
        services.ticket_transfer(ticket=ticket, to_agency=nicta, reason="Mail", actor=mof_agent)

    deliver_webhooks()

    events = {p["event"] for p in receiver.payloads()}
    assert {"ticket.updated", "ticket.assigned", "ticket.transferred"} <= events
