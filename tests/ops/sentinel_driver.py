"""Run by tests/ops/test_sentinel.py as a process of its own, with REDIS_SENTINELS set (the
settings read it at start): ticket changes while the test fails the Redis master over, then
what beat would do afterwards. Prints a line per change and, last, a JSON summary.

    python -m tests.ops.sentinel_driver CHANGES REQUESTER_EMAIL AGENT_EMAIL
"""

import json
import os
import sys
import time
from datetime import timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.test_settings")
django.setup()

import redis  # noqa: E402
import time_machine  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from core.broker import broker_reset  # noqa: E402
from core.pending_work import pending_work_drain  # noqa: E402
from mail.models import Outbox  # noqa: E402
from mail.tasks import requeue_unsent  # noqa: E402
from tickets.models import Category  # noqa: E402
from tickets.services import ticket_create, ticket_reply  # noqa: E402


def until(check, *, seconds: float):
    """Calls check until it returns without a Redis error (a failover in progress)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return check()
        except redis.RedisError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def main(changes: int, requester_email: str, agent_email: str) -> dict:
    requester = User.objects.get(email=requester_email)
    agent = User.objects.get(email=agent_email)
    agency = requester.memberships.get().agency
    category = Category.objects.get(slug="computer-and-printer")
    for number in range(changes):
        ticket = ticket_create(
            requester=requester, requester_agency=agency, category=category,
            subject=f"Printer {number} offline", description="It shows an error.",
            impact="low", urgency="medium",
        )  # fmt: skip
        ticket_reply(ticket=ticket, author=agent, body="Looking into it.", as_agent=True)
        # The cache (rate limits) through Sentinel too: it must work again after the failover.
        until(lambda n=number: cache.set("sentinel-driver", n), seconds=30)
        print(f"change {number}", flush=True)
        time.sleep(0.3)
    cached = until(lambda: cache.get("sentinel-driver"), seconds=30)

    # What beat does each minute, a few minutes on: work whose message was lost is done now.
    deadline = time.monotonic() + 120
    rounds = 0
    while Outbox.objects.exclude(state=Outbox.State.SENT).exists():
        if time.monotonic() > deadline:
            break
        broker_reset()
        pending_work_drain()
        with time_machine.travel(timezone.now() + timedelta(minutes=3)):
            until(requeue_unsent, seconds=30)
        rounds += 1
        time.sleep(3)
    return {"cached": cached, "beat_rounds": rounds}


if __name__ == "__main__":
    summary = main(int(sys.argv[1]), sys.argv[2], sys.argv[3])
    print(json.dumps(summary), flush=True)
