"""Queue counts kept for a moment: each view's count on the queue's tabs and saved views.

Counting every view on every page view costs more than listing the page's rows, and an agent
opens the queue many times a minute while the agency's tickets change far less often. So the
counts are kept in the cache under a key that names, besides the person and the views, when
the tickets concerned last changed:

- every publication of ticket events (`tickets.events.events_publish`), once its transaction
  commits, stamps each handling agency of those tickets and the key for every agency;
- a transfer or a merge moves tickets between agencies' queues: it stamps the key that every
  agency's counts name;
- the key also names the current minute, so that what changes without an event (time passing
  for "due within an hour", a fix made in the database) shows within a minute.

Without the cache (Redis unreachable) the counts are counted, as before.
"""

import contextlib
import hashlib
import logging
from collections.abc import Callable, Iterable
from uuid import uuid4

import redis
from django.core.cache import cache
from django.utils import timezone

logger = logging.getLogger(__name__)

_PREFIX = "queue-counts"
_EVERY_AGENCY = "all"
_MOVES = "moves"
# Counts of a minute ago are still the counts' key this minute: kept a little longer.
KEPT_SECONDS = 120

Counts = dict[str, tuple[int, bool]]


def _stamp_key(part) -> str:
    return f"{_PREFIX}:changed:{part}"


def queue_counts_changed(agency_ids: Iterable[int], *, moved: bool = False) -> None:
    """The tickets of these agencies changed (`moved`: some went from one agency to another):
    the counts kept for them are no longer used. Call after the change commits."""
    stamp = uuid4().hex
    parts = {*agency_ids, _EVERY_AGENCY, *([_MOVES] if moved else [])}
    try:
        cache.set_many({_stamp_key(part): stamp for part in parts}, timeout=None)
    except redis.RedisError:
        # The minute in every key bounds how long the old counts are shown.
        logger.warning("queue counts: could not mark %s as changed", sorted(map(str, parts)))


def counts_kept(
    name: str,
    *,
    agency_id: int | None,
    owner: Iterable,
    count: Callable[[], Counts],
) -> Counts:
    """`count()`, or what it gave for the same `name` and `owner` (who asks, and what) since
    the agency's tickets last changed, within the same minute."""
    stamps = [_stamp_key(agency_id or _EVERY_AGENCY), _stamp_key(_MOVES)]
    try:
        known = cache.get_many(stamps)
    except redis.RedisError:
        return count()
    minute = int(timezone.now().timestamp() // 60)
    described = repr((name, tuple(owner), [known.get(key) for key in stamps], minute))
    key = f"{_PREFIX}:{hashlib.blake2b(described.encode(), digest_size=16).hexdigest()}"
    try:
        kept = cache.get(key)
    except redis.RedisError:
        return count()
    if kept is not None:
        return {view: (number, capped) for view, (number, capped) in kept.items()}
    counts = count()
    with contextlib.suppress(redis.RedisError):  # counted, just not kept
        cache.set(key, counts, timeout=KEPT_SECONDS)
    return counts
