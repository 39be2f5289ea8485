"""The after-commit work queue: record work in the change's transaction, drain it after.

A topic is a name that an app registers with a handler (in its `AppConfig.ready`); the
handler takes the row's JSON payload and does the work in the drain's transaction. How a
row is drained:

1. `pending_work_record` inserts the rows inside the caller's transaction, and asks for them
   to be drained once it commits: at once in this process (`run=INLINE`, for the change one
   person just made, so the page they see next is complete) or by a Celery task
   (`run=TASK`, for a batch such as the escalation sweep's). The inline rows of one call can
   be done `together`, in one pass: one transaction, no savepoint each; if it fails, it is
   undone and the rows are drained one by one as in 2.
2. `pending_work_drain` locks due rows with SKIP LOCKED, runs each handler in a savepoint and
   deletes the row in the same transaction: done once, whoever drains it.
3. A handler that raises leaves its row with a backoff and the error; the beat task
   `core.tasks.drain_pending_work` takes every due row each minute, so what a lost message, a
   Redis outage or a crash left behind is done later, and nothing is lost.
"""

import json
import logging
from collections.abc import Callable, Iterable
from datetime import timedelta
from enum import StrEnum

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from core.broker import task_send
from core.models import PendingWork

logger = logging.getLogger(__name__)

DRAIN_BATCH = 100
MAX_BACKOFF = timedelta(hours=1)

Handler = Callable[[dict], None]
BatchHandler = Callable[[list[dict]], None]
# Does the payloads of one `pending_work_record` call's inline rows, whatever their topics.
TogetherHandler = Callable[[list[dict]], None]
_handlers: dict[str, Handler] = {}
# Topics whose handler takes every due row's payload at once: a drain of a thousand rows of
# one topic is then one call (the dashboards' refresh of many tickets in one pass).
_batch_handlers: dict[str, BatchHandler] = {}


class Run(StrEnum):
    INLINE = "inline"
    TASK = "task"


def pending_work_handler(
    topic: str, handler: Handler, *, batch: BatchHandler | None = None
) -> None:
    """Registers the handler of a topic; an app calls it from its `AppConfig.ready`.

    `batch`, if given, does the work of several rows of the topic in one call; the drain uses
    it for the rows of one topic it holds together, and falls back to `handler` row by row
    when the batch fails, so one bad row holds up no other.
    """
    if _handlers.get(topic, handler) is not handler:
        raise ValueError(f"Pending-work topic {topic!r} already has a handler")
    _handlers[topic] = handler
    if batch is not None:
        _batch_handlers[topic] = batch


def pending_work_record(
    *, items: Iterable[tuple[str, dict, Run]], together: TogetherHandler | None = None
) -> list[int]:
    """Records (topic, payload, how it runs) items in the current transaction; returns ids.

    One insert for them all, and after the commit one drain here and one task at most.
    `together`, if given, does the inline rows in one pass (`pending_work_drain_together`)
    instead of each in a savepoint of its own.
    """
    items = list(items)
    if not items:
        return []
    now = timezone.now()
    rows = PendingWork.objects.bulk_create(
        [
            PendingWork(topic=topic, payload=payload, created_at=now, not_before=now)
            for topic, payload, _run in items
        ]
    )
    inline = [row.pk for row, item in zip(rows, items, strict=True) if item[2] == Run.INLINE]
    queued = [row.pk for row, item in zip(rows, items, strict=True) if item[2] == Run.TASK]
    # Lambdas, not partials: a robust callback that fails is logged by its __qualname__.
    if inline and together is not None:
        transaction.on_commit(lambda: pending_work_drain_together(inline, together), robust=True)
    elif inline:
        transaction.on_commit(lambda: pending_work_drain(ids=inline), robust=True)
    if queued:
        transaction.on_commit(lambda: _queue_drain(queued), robust=True)
    return [row.pk for row in rows]


def _queue_drain(ids: list[int]) -> None:
    from core.tasks import drain_pending_work

    task_send(drain_pending_work, ids)


def pending_work_drain(
    *, ids: list[int] | None = None, topic: str | None = None, batch: int = DRAIN_BATCH
) -> int:
    """Does the due work (of these rows, or of a topic, or all) and deletes the rows; returns
    how many.

    Rows another drain holds are skipped, not waited for: that drain does them. A row whose
    handler fails keeps a backoff and holds up none of the others.
    """
    done_count, failed = 0, set()
    while True:
        now = timezone.now()
        with transaction.atomic():
            rows = PendingWork.objects.select_for_update(skip_locked=True)
            # Rows named by id are those just written: due now, whatever the clock says.
            due = Q(pk__in=ids) if ids is not None else Q(not_before__lte=now)
            rows = rows.filter(due)
            if topic is not None:
                rows = rows.filter(topic=topic)
            if failed:
                rows = rows.exclude(pk__in=failed)
            rows = list(rows.order_by("pk")[:batch])
            done = _drain_batches(rows)
            for row in (row for row in rows if row.pk not in done):
                handler = _handlers.get(row.topic)
                try:
                    if handler is None:
                        raise LookupError(f"no handler for topic {row.topic!r}")
                    with transaction.atomic():
                        handler(row.payload)
                except Exception as error:
                    logger.exception(
                        "Pending work %s (%s) failed; retrying later", row.pk, row.topic
                    )
                    failed.add(row.pk)
                    _postpone(row, error, now)
                    continue
                done.add(row.pk)
            PendingWork.objects.filter(pk__in=done).delete()
            done_count += len(done)
        if len(rows) < batch:
            return done_count


# Takes the rows no other drain holds and deletes them, in one statement: whoever holds the
# transaction that deletes a row does its work, and the work commits with the deletion.
_CLAIM = """
    DELETE FROM core_pendingwork WHERE id IN (
        SELECT id FROM core_pendingwork WHERE id = ANY(%s) FOR UPDATE SKIP LOCKED
    )
    RETURNING id, payload
"""


def pending_work_drain_together(ids: list[int], together: TogetherHandler) -> int:
    """Does these rows in one pass: `together(payloads)`, in the order of the rows, in the
    transaction that deletes them; returns how many it did.

    No savepoint for each row: when the pass fails, all of it is undone, rows included, and
    `pending_work_drain` does them one by one, so the row at fault keeps its backoff and the
    others are done. Handlers are idempotent, so doing the others a second time is safe.
    """
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(_CLAIM, [ids])
                claimed = sorted(cursor.fetchall())
            if claimed:
                together([_payload(payload) for _pk, payload in claimed])
    except Exception:
        logger.warning("Pending work %s failed together; doing each row alone", ids, exc_info=True)
        return pending_work_drain(ids=ids)
    return len(claimed)


def _payload(value) -> dict:
    # A raw cursor may hand JSON over as text, which the model's field would have decoded.
    return json.loads(value) if isinstance(value, str | bytes) else value


def _drain_batches(rows: list[PendingWork]) -> set[int]:
    """Does, topic by topic, the rows whose topic has a batch handler, each topic in one call
    and one savepoint; returns the ids done. A topic whose batch fails is left to the row by
    row pass, which finds the row at fault."""
    by_topic: dict[str, list[PendingWork]] = {}
    for row in rows:
        if row.topic in _batch_handlers:
            by_topic.setdefault(row.topic, []).append(row)
    done: set[int] = set()
    for topic, topic_rows in by_topic.items():
        if len(topic_rows) < 2:
            continue
        try:
            with transaction.atomic():
                _batch_handlers[topic]([row.payload for row in topic_rows])
        except Exception:
            logger.exception("A batch of %s rows of %s failed; trying each", len(topic_rows), topic)
            continue
        done.update(row.pk for row in topic_rows)
    return done


def _postpone(row: PendingWork, error: Exception, now) -> None:
    row.attempts += 1
    row.not_before = now + min(timedelta(seconds=30 * 2**row.attempts), MAX_BACKOFF)
    row.last_error = f"{type(error).__name__}: {error}"[:2000]
    row.save(update_fields=["attempts", "not_before", "last_error"])


def pending_work_backlog() -> dict:
    """How much is waiting and since when: for /healthz and the operators."""
    oldest = PendingWork.objects.order_by("created_at").values_list("created_at", flat=True)
    return {"count": PendingWork.objects.count(), "oldest": oldest.first()}
