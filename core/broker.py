"""Queueing a Celery task without making a person wait for a broker that is down.

Every durable piece of work has a row of its own in the database (an outbox message, a
PendingWork row) that a periodic task drains; the message to the broker only makes it happen
sooner. So a refused message is logged and dropped, and for a while the next ones skip the
broker instead of each waiting for a timeout.
"""

import logging
import time
from types import SimpleNamespace

logger = logging.getLogger(__name__)

# One reconnection at most: a stale pooled connection is replaced, a dead broker is not waited on.
BROKER_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5}
BROKER_SKIP_SECONDS = 30
broker_state = SimpleNamespace(down_until=0.0)


def task_send(task, *args) -> bool:
    """Queues `task(*args)`; False (and logged) when the broker is down or was just now."""
    if time.monotonic() < broker_state.down_until:
        logger.info("Broker unavailable; %s%s waits for its periodic drain", task.name, args)
        return False
    try:
        task.apply_async(args, retry_policy=BROKER_RETRY_POLICY)
    except Exception:  # noqa: BLE001 - the broker is down: the periodic drain does the work
        broker_state.down_until = time.monotonic() + BROKER_SKIP_SECONDS
        logger.warning("Broker unavailable; %s%s waits for its periodic drain", task.name, args)
        return False
    return True


def broker_reset() -> None:
    """Forgets a recorded outage, so the next message tries the broker at once (tests, and a
    worker that has just seen the broker come back)."""
    broker_state.down_until = 0.0
