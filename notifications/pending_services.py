"""Notifications told after the commit: the writes of the pending-notification rows.

A service that writes many events at once (the escalation sweep) records each one as a
`PendingNotification` in its own transaction, and one task per transaction tells the people.
Telling is idempotent: the row is locked and deleted in the transaction that tells, and a
notice exists once per (person, event, kind), so a task delivered twice, or the periodic drain
running beside it, tells nobody twice. A broker outage only delays the telling.
"""

import logging
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction

from notifications.models import PendingNotification
from notifications.services import BROKER_RETRY_POLICY, notify_ticket_event
from tickets.models import TicketEvent

logger = logging.getLogger(__name__)

DRAIN_BATCH = 100


def pending_notifications_record(*, events: Iterable[TicketEvent], now: datetime) -> list[int]:
    """Records that these saved events are to be told; call inside the writer's transaction.

    One insert and, after the commit, one task for them all. Returns the events' ids.
    """
    event_ids = [event.pk for event in events]
    if not event_ids:
        return event_ids
    PendingNotification.objects.bulk_create(
        [PendingNotification(event_id=event_id, created_at=now) for event_id in event_ids]
    )
    transaction.on_commit(lambda: _queue_drain(event_ids), robust=True)
    return event_ids


def _queue_drain(event_ids: list[int]) -> None:
    from notifications.tasks import drain_pending_notifications

    try:
        drain_pending_notifications.apply_async((event_ids,), retry_policy=BROKER_RETRY_POLICY)
    except Exception:  # noqa: BLE001 - the broker is down: the periodic drain tells them later
        logger.warning("Broker unavailable; %s notifications wait for the drain", len(event_ids))


def pending_notifications_drain(
    *, event_ids: list[int] | None = None, batch: int = DRAIN_BATCH
) -> int:
    """Tells the people of pending events (these, or all of them) and deletes their rows.

    Returns how many events were told. Rows another drain holds are skipped, not waited for:
    that drain tells them. An event whose telling fails keeps its row for the next drain and
    holds up none of the others.
    """
    told, failed = 0, set()
    while True:
        with transaction.atomic():
            rows = PendingNotification.objects.select_for_update(skip_locked=True, of=("self",))
            if event_ids is not None:
                rows = rows.filter(event_id__in=event_ids)
            if failed:
                rows = rows.exclude(event_id__in=failed)
            rows = list(
                rows.select_related(
                    "event__actor",
                    "event__ticket__agency",
                    "event__ticket__team__lead",
                    "event__ticket__assignee",
                    "event__ticket__requester",
                ).order_by("event_id")[:batch]
            )
            done = []
            for row in rows:
                try:
                    with transaction.atomic():
                        notify_ticket_event(row.event)
                except Exception:
                    logger.exception("Telling of event %s failed; retrying later", row.event_id)
                    failed.add(row.event_id)
                    continue
                done.append(row.event_id)
            PendingNotification.objects.filter(event_id__in=done).delete()
            told += len(done)
        if len(rows) < batch:
            return told
