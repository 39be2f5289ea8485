"""Ticket events as a published feed: the one way other apps hear of a ticket's change.

How an event travels:

1. A ticket service records the change and its `TicketEvent` with `event_record` (or a batch
   with `events_publish`, as the escalation sweep does), in its own transaction. Besides the
   event it writes one `core.PendingWork` row per subscriber, naming the events: nothing of
   any other app.
2. Once the transaction commits, each row is drained: a subscriber that runs inline (telling
   people, attaching to an incident) is called at once in the committing process, so the page
   a person sees next is complete; one that runs as a task (refreshing the dashboards' facts)
   is called by a Celery worker. A publication may send all its rows to the worker
   (`run=Run.TASK`): the escalation sweep's batch, and a ticket's creation, whose reporter
   waits for the confirmation page and nothing else. Each subscriber's work commits with the
   deletion of its row, so it acts exactly once. The inline subscribers of one publication
   are called in one pass (their rows taken and deleted in one statement, the events read
   once); if one of them fails, the pass is undone and each is called in its own
   transaction, so the one that fails is retried by the periodic drain without holding up
   the others. A Redis outage only delays what needs the broker: the periodic drain does
   what the worker was not told of.
3. Subscribers register in their app's `AppConfig.ready` with `subscribe`; `tickets`
   imports none of them.

Side effects are silenced by the `quiet` argument of the dispatch, never by a switch
elsewhere: `Quiet.EMAIL` tells people in the app but sends no e-mail (demo data),
`Quiet.PEOPLE` tells no person while systems and figures still follow (a major incident's
children, resolved with one message), `Quiet.ALL` publishes nothing at all (a benchmark's
replay, which builds the figures itself).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import partial

from django.db import transaction
from django.utils import timezone

from core.pending_work import Run, pending_work_handler, pending_work_record
from tickets.models import Ticket, TicketEvent
from tickets.queue_counts import queue_counts_changed

TOPIC = "tickets.events"


class Quiet(StrEnum):
    NONE = "none"
    EMAIL = "email"
    PEOPLE = "people"
    ALL = "all"


Handler = Callable[[Sequence[TicketEvent], Quiet], None]


@dataclass(frozen=True)
class Subscriber:
    name: str
    handler: Handler
    run: Run
    kinds: frozenset[str] | None


_subscribers: dict[str, Subscriber] = {}


def subscribe(
    name: str, handler: Handler, *, run: Run = Run.INLINE, kinds: Sequence[str] | None = None
) -> None:
    """Registers a subscriber of committed ticket events; call from `AppConfig.ready`.

    `handler(events, quiet)` is called after the commit with the events of one publication,
    in their order, inside a transaction of its own. It must be idempotent: after a crash
    between its work and the commit, it is called again. `kinds` limits which events it gets.
    """
    subscriber = Subscriber(name, handler, Run(run), frozenset(kinds) if kinds else None)
    if _subscribers.get(name, subscriber) != subscriber:
        raise ValueError(f"Ticket-event subscriber {name!r} is already registered")
    _subscribers[name] = subscriber
    pending_work_handler(subscriber_topic(name), _deliver, batch=_deliver_batch)


def subscriber_topic(name: str) -> str:
    """The pending-work topic of one subscriber's rows: each can be drained on its own."""
    return f"{TOPIC}:{name}"


def subscribers() -> list[str]:
    return list(_subscribers)


def event_record(
    ticket: Ticket,
    kind: str,
    actor,
    *,
    public: bool = True,
    body: str = "",
    quiet: Quiet = Quiet.NONE,
    at=None,
    run: Run | None = None,
    **data,
) -> TicketEvent:
    """Writes what happened to the ticket and publishes it; call inside the change's
    transaction. `data` values of None are left out; `run` as in `events_publish`."""
    event = TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        actor=actor,
        is_public=public,
        body=body,
        data={key: value for key, value in data.items() if value is not None},
        created_at=at or timezone.now(),
    )
    events_publish([event], quiet=quiet, run=run)
    return event


def events_publish(
    events: Sequence[TicketEvent], *, quiet: Quiet = Quiet.NONE, run: Run | None = None
) -> int:
    """Hands saved events to every subscriber once the current transaction commits.

    One insert for all subscribers. `run=Run.TASK` sends even the inline subscribers to a
    worker: for what nobody is waiting to see (the sweep's batch, a ticket's creation).
    Returns how many rows of pending work it wrote.
    """
    events = [event for event in events if event.pk is not None]
    if quiet == Quiet.ALL or not events:
        return 0
    _queue_counts_stale_on_commit(events)
    items = []
    for subscriber in _subscribers.values():
        ids = [e.pk for e in events if subscriber.kinds is None or e.kind in subscriber.kinds]
        if ids:
            payload = {"subscriber": subscriber.name, "events": ids, "quiet": str(quiet)}
            items.append((subscriber_topic(subscriber.name), payload, run or subscriber.run))
    return len(pending_work_record(items=items, together=_deliver_together))


# Events that take tickets out of one agency's queue and into another's.
_MOVING_KINDS = frozenset({TicketEvent.Kind.TRANSFER, TicketEvent.Kind.MERGE})


def _queue_counts_stale_on_commit(events: Sequence[TicketEvent]) -> None:
    """The queues' kept counts of the agencies handling these tickets are recounted once the
    change commits (tickets.queue_counts). A change that tells nobody still moves a ticket in
    a queue; only the benchmark's replay (Quiet.ALL), which publishes nothing, skips this."""
    agency_ids, unread = set(), set()
    for event in events:
        if TicketEvent.ticket.is_cached(event):
            agency_ids.add(event.ticket.agency_id)
        else:
            unread.add(event.ticket_id)
    if unread:
        agency_ids.update(
            Ticket.objects.filter(pk__in=unread).values_list("agency_id", flat=True).distinct()
        )
    moved = any(event.kind in _MOVING_KINDS for event in events)
    # robust: the change is committed whatever happens to the counts; a failure is logged.
    transaction.on_commit(partial(queue_counts_changed, agency_ids, moved=moved), robust=True)


def _deliver_together(payloads: list[dict]) -> None:
    """The inline subscribers of one publication, each with its events and quiet level: the
    events read once for them all."""
    wanted = {pk for payload in payloads for pk in payload["events"]}
    events = {event.pk: event for event in _events_read(wanted)}
    for payload in payloads:
        mine = [events[pk] for pk in sorted(payload["events"]) if pk in events]
        if mine:
            subscriber = _subscribers[payload["subscriber"]]
            subscriber.handler(mine, Quiet(payload.get("quiet", Quiet.NONE)))


def _deliver_batch(payloads: list[dict]) -> None:
    """Several publications to one subscriber, as few calls as their quiet levels allow: the
    events of each level together, in their order."""
    by_quiet: dict[str, list[int]] = {}
    for payload in payloads:
        by_quiet.setdefault(payload.get("quiet", Quiet.NONE), []).extend(payload["events"])
    for quiet, event_ids in by_quiet.items():
        _deliver({"subscriber": payloads[0]["subscriber"], "events": event_ids, "quiet": quiet})


def _deliver(payload: dict) -> None:
    subscriber = _subscribers[payload["subscriber"]]
    events = _events_read(payload["events"])
    if events:  # a ticket deleted meanwhile takes its events with it: nothing to tell
        subscriber.handler(events, Quiet(payload.get("quiet", Quiet.NONE)))


def _events_read(ids) -> list[TicketEvent]:
    return list(
        TicketEvent.objects.filter(pk__in=list(ids))
        .select_related(
            "actor",
            "ticket__agency",
            "ticket__team__lead",
            "ticket__assignee",
            "ticket__requester",
            "ticket__category",
        )
        .order_by("pk")
    )
