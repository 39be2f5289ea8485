"""/metrics: readable only with the token, and its gauges move with the work."""

import redis
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from core.broker import broker_reset, task_send
from core.models import PendingWork
from core.tasks import record_scheduler_heartbeat
from mail.models import InboundMailbox, Outbox
from tickets.models import Category, TicketEvent
from tickets.services import ticket_create
from tickets.tasks import sweep_escalations

TOKEN = "metrics-token-for-the-tests-0123456789"


def scrape(client, django_assert_num_queries=None) -> dict:
    if django_assert_num_queries is None:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    else:
        # 1 pending work, 2 outbox (by channel, oldest), 1 heartbeats, 1 breaches, 1 mailboxes.
        with django_assert_num_queries(6):
            response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def test_it_is_not_found_while_no_token_is_set(client, settings, db):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 404


def test_it_asks_for_the_token(client, settings, db):
    settings.METRICS_TOKEN = TOKEN
    response = client.get("/metrics")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"govdesk_" not in response.content


def test_it_refuses_a_wrong_token(client, settings, db):
    settings.METRICS_TOKEN = TOKEN
    for header in (f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN, "Bearer "):
        response = client.get("/metrics", HTTP_AUTHORIZATION=header)
        assert response.status_code == 401, header


def test_it_times_requests_by_view(client, settings, db):
    settings.METRICS_TOKEN = TOKEN
    before = value(scrape(client), "govdesk_request_duration_seconds_count",
                   view="health", method="GET") or 0  # fmt: skip
    client.get("/healthz")
    client.get("/healthz")
    after = scrape(client)
    assert value(after, "govdesk_request_duration_seconds_count", view="health", method="GET") == (
        before + 2
    )
    assert value(after, "govdesk_request_duration_seconds_sum", view="health", method="GET") > 0


def test_its_gauges_move_with_the_work(
    client, settings, mof, mof_requester, django_assert_num_queries
):
    settings.METRICS_TOKEN = TOKEN
    empty = scrape(client, django_assert_num_queries)
    assert value(empty, "govdesk_pending_work_backlog") == 0
    assert value(empty, "govdesk_outbox_backlog", channel="email") == 0
    assert value(empty, "govdesk_escalation_sweep_age_seconds") == -1
    assert value(empty, "govdesk_sla_breaches_last_hour", agency="MOF") is None
    assert (
        value(empty, "govdesk_celery_queue_length", queue=settings.CELERY_TASK_DEFAULT_QUEUE) == 0
    )

    an_hour_ago = timezone.now() - timezone.timedelta(hours=1)
    PendingWork.objects.create(
        topic="test", payload={}, created_at=an_hour_ago, not_before=an_hour_ago
    )
    Outbox.objects.create(to_address="a@mof.gov.test", dedupe_key="t:1", created_at=an_hour_ago)
    ticket = ticket_create(
        requester=mof_requester, requester_agency=mof,
        category=Category.objects.create(name="Computer", slug="computer"),
        subject="Printer offline", description="It shows an error.", impact="low",
        urgency="medium",
    )  # fmt: skip
    TicketEvent.objects.create(
        ticket=ticket, kind=TicketEvent.Kind.ESCALATION, is_public=False,
        data={"breach": True}, created_at=timezone.now(),
    )  # fmt: skip
    InboundMailbox.objects.create(
        agency=mof, address="help@mof.gov.test", imap_host="imap.mof.gov.test",
        username="help", last_polled_at=an_hour_ago, last_error_at=an_hour_ago,
        last_error="Connection refused",
    )  # fmt: skip
    sweep_escalations()
    broker_reset()
    assert task_send(record_scheduler_heartbeat)

    try:
        busy = scrape(client, django_assert_num_queries)
    finally:
        redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(settings.CELERY_TASK_DEFAULT_QUEUE)

    assert value(busy, "govdesk_pending_work_backlog") >= 1
    assert value(busy, "govdesk_pending_work_oldest_age_seconds") >= 3600
    assert value(busy, "govdesk_outbox_backlog", channel="email") >= 1
    assert value(busy, "govdesk_outbox_oldest_age_seconds") >= 3600
    assert 0 <= value(busy, "govdesk_escalation_sweep_age_seconds") < 60
    assert value(busy, "govdesk_sla_breaches_last_hour", agency=ticket.agency.code) == 1
    assert value(busy, "govdesk_inbound_mailbox_failing", mailbox="help@mof.gov.test") == 1
    assert value(busy, "govdesk_celery_queue_length", queue=settings.CELERY_TASK_DEFAULT_QUEUE) == 1
    assert value(busy, "govdesk_broker_up") == 1
