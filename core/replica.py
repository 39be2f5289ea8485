"""Reads from a PostgreSQL streaming replica, for the pages and jobs that only read.

With `DATABASE_REPLICA_URL` set, the settings add a `replica` database and this router. Code
that may read slightly old data says so with `@reads_from_replica` (the dashboards, the
Council view, exports, rollup rebuilds); inside it, a read goes to the replica unless

- it runs inside a transaction on the primary (a write's own reads must see the write), or
- the replica is down, is not a replica at all, or lags more than `REPLICA_MAX_LAG_SECONDS`,
  checked at most every `REPLICA_CHECK_SECONDS` per process; then reads stay on the primary
  and `/healthz` says why.

Everything else, every write above all, uses the primary.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

logger = logging.getLogger(__name__)

REPLICA = "replica"
_replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)


@dataclass(frozen=True)
class ReplicaStatus:
    usable: bool
    lag_seconds: float | None = None
    error: str = ""
    checked_at: float = 0.0

    def as_health(self) -> dict:
        if self.usable:
            return {"ok": True, "lag_seconds": round(self.lag_seconds or 0.0, 3)}
        result = {"ok": False, "reads_from": "primary", "error": self.error}
        if self.lag_seconds is not None:
            result["lag_seconds"] = round(self.lag_seconds, 3)
        return result


_status_lock = threading.Lock()
_status: ReplicaStatus | None = None


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def replica_check() -> ReplicaStatus:
    """Asks the replica whether it is one and how far behind it is (no caching)."""
    max_lag = settings.REPLICA_MAX_LAG_SECONDS
    connection = connections[REPLICA]
    try:
        with connection.cursor() as cursor:
            # Caught up (nothing received but not replayed): no lag, however old the last
            # transaction is. Otherwise the age of the last replayed transaction.
            cursor.execute(
                "SELECT pg_is_in_recovery(), CASE "
                "WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
                "ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END"
            )
            in_recovery, lag = cursor.fetchone()
    except Exception as error:  # noqa: BLE001 - any failure means "down", reported as such
        with contextlib.suppress(Exception):
            connection.close()
        return ReplicaStatus(False, error=f"down ({error.__class__.__name__})")
    if not in_recovery:
        return ReplicaStatus(
            False,
            error="DATABASE_REPLICA_URL names a server that is not a replica (it is not in "
            "recovery): reads stay on the primary",
        )
    lag = float(lag or 0.0)
    if lag > max_lag:
        return ReplicaStatus(
            False, lag_seconds=lag, error=f"lags {lag:.1f} s, more than the {max_lag} s allowed"
        )
    return ReplicaStatus(True, lag_seconds=lag)


def replica_status(*, fresh: bool = False) -> ReplicaStatus:
    """The replica's state, checked at most every REPLICA_CHECK_SECONDS in this process."""
    global _status
    now = time.monotonic()
    with _status_lock:
        status = _status
        if fresh or status is None or now - status.checked_at >= settings.REPLICA_CHECK_SECONDS:
            checked = replica_check()
            status = ReplicaStatus(checked.usable, checked.lag_seconds, checked.error, now)
            if _status is not None and _status.usable != status.usable:
                logger.warning(
                    "Replica %s%s", "usable again" if status.usable else "not used: ",
                    status.error,
                )  # fmt: skip
            _status = status
    return status


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads in this block may come from the replica (see the module's docstring)."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def reads_from_replica(function):
    """A view or task whose reads may come from the replica."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with replica_reads():
            return function(*args, **kwargs)

    return wrapper


class ReplicaRouter:
    """Database router: `replica` for reads that asked for it and may have it, else default."""

    def db_for_read(self, model, **hints):
        if not _replica_reads.get() or not replica_configured():
            return DEFAULT_DB_ALIAS
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return REPLICA if replica_status().usable else DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS
