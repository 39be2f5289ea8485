"""/metrics in Prometheus' text format, for the operators' monitoring; readable only with
`Authorization: Bearer <METRICS_TOKEN>` (404 while METRICS_TOKEN is unset, 401 without it).

Two kinds of figures:

- counted in each web process as requests pass (prometheus-client): request latency by view,
  and errors. Under gunicorn, set PROMETHEUS_MULTIPROC_DIR to an empty folder writable by
  every worker, so that each scrape sums all of them;
- read from the stores when scraped (our own gauges): the Celery queue's length, the outbox and
  pending-work backlogs and their oldest age, the time since the last escalation sweep and
  scheduler heartbeat, SLA breaches per agency in the last hour, failing inbound mailboxes, and
  the replica's lag. A few indexed queries: a scrape every 15 s costs little.

It lives with the project's configuration, like urls.py, because it reads every app's records.
"""

from __future__ import annotations

import hmac
import os
import time
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Min
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

REQUEST_LATENCY = Histogram(
    "govdesk_request_duration_seconds",
    "Time to answer a request, by view and method.",
    ["view", "method"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
REQUEST_ERRORS = Counter(
    "govdesk_request_errors_total",
    "Requests answered with a server error (5xx), by view.",
    ["view", "status"],
)


def _view_name(request) -> str:
    match = getattr(request, "resolver_match", None)
    # Unmatched paths share one label: a scanner's thousand URLs must not make a thousand series.
    return match.view_name if match and match.view_name else "unmatched"


class RequestMetricsMiddleware:
    """Times every request; Django has already turned an exception into a 500 below it."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        view = _view_name(request)
        REQUEST_LATENCY.labels(view, request.method).observe(time.perf_counter() - started)
        if response.status_code >= 500:
            REQUEST_ERRORS.labels(view, str(response.status_code)).inc()
        return response


def _age(moment, now) -> float:
    return max((now - moment).total_seconds(), 0.0) if moment else 0.0


class StoreCollector:
    """Gauges read from PostgreSQL and Redis at each scrape."""

    def collect(self):
        from core.models import PendingWork, SchedulerHeartbeat
        from core.tasks import BEAT_HEARTBEAT_NAME, ESCALATION_SWEEP_HEARTBEAT_NAME
        from mail.models import InboundMailbox, Outbox
        from tickets.models import TicketEvent

        now = timezone.now()
        yield from self._queue()

        pending = PendingWork.objects.aggregate(count=Count("pk"), oldest=Min("created_at"))
        yield GaugeMetricFamily(
            "govdesk_pending_work_backlog", "Rows of after-commit work not yet done.",
            value=pending["count"],
        )  # fmt: skip
        yield GaugeMetricFamily(
            "govdesk_pending_work_oldest_age_seconds",
            "Age of the oldest row of after-commit work not yet done (0 when none).",
            value=_age(pending["oldest"], now),
        )
        waiting = [Outbox.State.PENDING, Outbox.State.SENDING]
        outbox = Outbox.objects.filter(state__in=waiting)
        backlog = GaugeMetricFamily(
            "govdesk_outbox_backlog", "Messages waiting to be sent, by channel.", labels=["channel"]
        )
        counts = dict(outbox.values_list("channel").annotate(n=Count("pk")).order_by())
        for channel in Outbox.Channel.values:
            backlog.add_metric([channel], counts.get(channel, 0))
        yield backlog
        oldest = outbox.aggregate(oldest=Min("created_at"))["oldest"]
        yield GaugeMetricFamily(
            "govdesk_outbox_oldest_age_seconds",
            "Age of the oldest message waiting to be sent (0 when none).",
            value=_age(oldest, now),
        )

        beats = dict(
            SchedulerHeartbeat.objects.filter(
                name__in=[BEAT_HEARTBEAT_NAME, ESCALATION_SWEEP_HEARTBEAT_NAME]
            ).values_list("name", "last_run_at")
        )
        for name, metric, help_text in (
            (ESCALATION_SWEEP_HEARTBEAT_NAME, "govdesk_escalation_sweep_age_seconds",
             "Seconds since the escalation sweep last finished (-1: never)."),
            (BEAT_HEARTBEAT_NAME, "govdesk_scheduler_heartbeat_age_seconds",
             "Seconds since the scheduler's heartbeat last ran (-1: never)."),
        ):  # fmt: skip
            last = beats.get(name)
            yield GaugeMetricFamily(metric, help_text, value=_age(last, now) if last else -1)

        breaches = GaugeMetricFamily(
            "govdesk_sla_breaches_last_hour",
            "Service-level breaches in the last hour, by handling agency.",
            labels=["agency"],
        )
        rows = (
            TicketEvent.objects.filter(
                kind=TicketEvent.Kind.ESCALATION,
                created_at__gte=now - timedelta(hours=1),
                data__breach=True,
            )
            .values_list("ticket__agency__code")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for agency, count in rows:
            breaches.add_metric([agency or ""], count)
        yield breaches

        failing = GaugeMetricFamily(
            "govdesk_inbound_mailbox_failing",
            "1 when the last poll of an active inbound mailbox failed.",
            labels=["mailbox"],
        )
        for address, polled_at, error_at, error in InboundMailbox.objects.filter(
            is_active=True
        ).values_list("address", "last_polled_at", "last_error_at", "last_error"):
            failed = bool(error) and error_at is not None and error_at == polled_at
            failing.add_metric([address], 1 if failed else 0)
        yield failing

        yield from self._replica()

    def _queue(self):
        import redis

        from core.redis_connection import redis_client

        queue = settings.CELERY_TASK_DEFAULT_QUEUE
        client = redis_client(timeout=2)
        try:
            length = client.llen(queue)
        except redis.RedisError:
            yield GaugeMetricFamily("govdesk_broker_up", "1 when the broker answered.", value=0)
            return
        finally:
            client.close()
        yield GaugeMetricFamily("govdesk_broker_up", "1 when the broker answered.", value=1)
        gauge = GaugeMetricFamily(
            "govdesk_celery_queue_length", "Tasks waiting in the Celery queue.", labels=["queue"]
        )
        gauge.add_metric([queue], length)
        yield gauge

    def _replica(self):
        from core.replica import replica_configured, replica_status

        if not replica_configured():
            return
        status = replica_status()
        yield GaugeMetricFamily(
            "govdesk_replica_usable", "1 when reads go to the replica.", value=int(status.usable)
        )
        yield GaugeMetricFamily(
            "govdesk_replica_lag_seconds",
            "Replication lag of the read replica (-1: unknown, it is down).",
            value=status.lag_seconds if status.lag_seconds is not None else -1,
        )


def metrics_text() -> bytes:
    """This process's counters (or, under gunicorn, every worker's), then the stores' gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    stores = CollectorRegistry(auto_describe=False)
    stores.register(StoreCollector())
    return generate_latest(counted) + generate_latest(stores)


def _unauthorized() -> HttpResponse:
    response = HttpResponse("A bearer token is needed.\n", status=401, content_type="text/plain")
    response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response


@never_cache
@require_GET
def metrics(request):
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404("Metrics are off: METRICS_TOKEN is not set")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip(), token):
        return _unauthorized()
    return HttpResponse(metrics_text(), content_type=CONTENT_TYPE_LATEST)
