"""The access log's path: a read is recorded after the response, waits in a Redis list, and a
periodic task moves the list into the database in batches.

The page pays one Redis push. When Redis cannot take it, the entry goes straight to the
database instead, so an outage slows reads a little and loses none. Each entry carries the
key it was made with: a batch stored twice (a flush that died before trimming the list) is
stored once.
"""

import ipaddress
import json
import logging
import time
import uuid
from functools import cache
from types import SimpleNamespace

import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.redis_connection import redis_client
from privacy.models import AccessLogEntry
from tickets.models import Ticket

logger = logging.getLogger(__name__)

FLUSH_BATCH = 500
# A push that takes longer than this goes to the database instead.
REDIS_TIMEOUT_SECONDS = 0.5
# After a failed push, reads skip Redis for this long.
REDIS_SKIP_SECONDS = 30
redis_state = SimpleNamespace(down_until=0.0)

# The reads that show a person's data, by URL name: what kind of read each is, and, for
# searches, the query parameter whose presence makes the page a search.
READS = {
    "ticket_detail": (AccessLogEntry.Kind.TICKET, None),
    "api-ticket-detail": (AccessLogEntry.Kind.API_TICKET, None),
    "attachment_download": (AccessLogEntry.Kind.ATTACHMENT, None),
    "attachment_preview": (AccessLogEntry.Kind.ATTACHMENT, None),
    "queue": (AccessLogEntry.Kind.SEARCH, "q"),
    "api-ticket-list": (AccessLogEntry.Kind.SEARCH, "q"),
    "reports:dashboard_export": (AccessLogEntry.Kind.EXPORT, None),
    "privacy:access_log_export": (AccessLogEntry.Kind.EXPORT, None),
    "privacy:person_export": (AccessLogEntry.Kind.EXPORT, None),
    "privacy:my_data_export": (AccessLogEntry.Kind.EXPORT, None),
}


def _queue_key() -> str:
    # Named after the deployment's task queue: the web processes and the workers that flush
    # share it, and two deployments on one Redis keep apart.
    return f"{settings.CELERY_TASK_DEFAULT_QUEUE}:privacy:access-log"


@cache
def _redis_for(url: str) -> redis.Redis:
    # One client (and connection pool) per process and address: a read pays a push, not a
    # connection.
    return redis.Redis.from_url(
        url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
    )


@cache
def _redis_through_sentinel(master: str) -> redis.Redis:
    # The Sentinel-aware client finds the master again after a failover.
    return redis_client(timeout=REDIS_TIMEOUT_SECONDS)


def _redis() -> redis.Redis:
    if settings.REDIS_SENTINELS:
        return _redis_through_sentinel(settings.REDIS_SENTINEL_MASTER)
    return _redis_for(settings.REDIS_URL)


def _client_address(request) -> str | None:
    address = request.META.get("REMOTE_ADDR", "")
    proxies = getattr(settings, "ALLAUTH_TRUSTED_PROXY_COUNT", 0)
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if proxies and len(forwarded) >= proxies and forwarded[-proxies]:
        address = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def access_read_from_request(request) -> dict | None:
    """The read a finished request made, as a plain dict, or None when it read nobody's data."""
    match = getattr(request, "resolver_match", None)
    user = getattr(request, "user", None)
    if match is None or user is None or not user.is_authenticated:
        return None
    known = READS.get(match.view_name)
    if known is None:
        return None
    kind, search_parameter = known
    if search_parameter is not None and not request.GET.get(search_parameter, "").strip():
        return None
    membership = getattr(request, "membership", None)
    kwargs = match.kwargs
    if kind == AccessLogEntry.Kind.SEARCH:
        target = request.GET[search_parameter].strip()
    elif kind == AccessLogEntry.Kind.EXPORT:
        target = request.path
    else:
        target = kwargs.get("reference", "")
    return {
        "key": str(uuid.uuid4()),
        "at": timezone.now().isoformat(),
        "reader_id": user.pk,
        "membership_id": getattr(membership, "pk", None),
        "role": getattr(membership, "role", ""),
        "acting_agency_id": getattr(membership, "agency_id", None),
        "kind": kind.value,
        "reference": kwargs.get("reference", ""),
        "subject_email": kwargs.get("email", ""),
        "target": target[:300],
        "ip_address": _client_address(request),
    }


def access_log_record(read: dict) -> None:
    """Queues one read for the next flush; stores it at once when Redis is unavailable, and
    for a while after, so that no page waits for a Redis that is down."""
    if time.monotonic() >= redis_state.down_until:
        try:
            _redis().rpush(_queue_key(), json.dumps(read))
            return
        except redis.RedisError:
            redis_state.down_until = time.monotonic() + REDIS_SKIP_SECONDS
            logger.warning("Redis unavailable: access log entries go straight to the database")
    access_log_store([read])


def access_log_store(reads: list[dict]) -> int:
    """Stores reads in the database in one insert, resolving each ticket and person once;
    entries already stored (the same key) are skipped. Returns how many were given."""
    if not reads:
        return 0
    references = {read["reference"] for read in reads if read["reference"]}
    tickets = {
        t["reference"]: t
        for t in Ticket.objects.filter(reference__in=references).values(
            "pk", "reference", "requester_id", "agency_id"
        )
    }
    emails = {read["subject_email"].lower() for read in reads if read.get("subject_email")}
    people = dict(
        User.objects.filter(email__in=emails).values_list("email", "pk") if emails else []
    )
    entries = []
    for read in reads:
        ticket = tickets.get(read["reference"])
        entries.append(
            AccessLogEntry(
                key=read["key"],
                at=read["at"],
                reader_id=read["reader_id"],
                membership_id=read["membership_id"],
                role=read["role"] or "",
                kind=read["kind"],
                ticket_id=ticket["pk"] if ticket else None,
                subject_id=(
                    ticket["requester_id"]
                    if ticket
                    else people.get(read.get("subject_email", "").lower())
                ),
                agency_id=ticket["agency_id"] if ticket else read["acting_agency_id"],
                target=read["target"],
                ip_address=read["ip_address"],
            )
        )
    AccessLogEntry.objects.bulk_create(entries, ignore_conflicts=True, unique_fields=["key"])
    return len(entries)


def access_log_flush(*, batch: int = FLUSH_BATCH) -> int:
    """Moves waiting reads from Redis to the database, a batch at a time; returns how many.

    Each batch is read, stored, then trimmed from the list: a flush that dies in between
    leaves the batch in place, and the next flush stores it again without duplicates.
    """
    client = _redis()
    key = _queue_key()
    # One flush at a time: two would store the same batch and trim twice.
    lock = client.lock(f"{key}:flushing", timeout=120)
    if not lock.acquire(blocking=False):
        return 0
    try:
        return _flush_locked(client, key, batch)
    finally:
        lock.release()


def _flush_locked(client, key: str, batch: int) -> int:
    moved = 0
    while True:
        raw = client.lrange(key, 0, batch - 1)
        if not raw:
            return moved
        with transaction.atomic():
            access_log_store([json.loads(item) for item in raw])
        client.ltrim(key, len(raw), -1)
        moved += len(raw)
