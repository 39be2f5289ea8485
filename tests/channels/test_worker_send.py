"""An SMS goes out once through real Celery workers and Redis, even when the worker sending it
dies mid-send: the gateway (a loopback server) accepts it exactly once."""

import os
import signal
from datetime import timedelta

import pytest
from django.utils import timezone

from channels.outbound import sms_queue
from mail.delivery import outbox_deliver, outbox_requeue_unsent
from mail.models import Outbox
from tests.channels.conftest import MOF_REQUESTER_PHONE, wait_until


@pytest.mark.worker
@pytest.mark.xdist_group("worker")
def test_it_sends_once_on_a_real_worker(gateway, start_worker):
    worker = start_worker()

    outbox = sms_queue(
        to=MOF_REQUESTER_PHONE, text="Your reference is MOF-000001.", dedupe_key="w:1"
    )

    wait_until(lambda: gateway.accepted, worker=worker)
    wait_until(lambda: Outbox.objects.get(pk=outbox.pk).state == Outbox.State.SENT, worker=worker)
    assert [m["message"] for m in gateway.accepted] == ["Your reference is MOF-000001."]


@pytest.mark.worker
@pytest.mark.xdist_group("worker")
def test_a_worker_that_dies_mid_send_leaves_the_sms_to_be_sent_once(gateway, start_worker):
    gateway.hold = True
    first = start_worker()
    outbox = sms_queue(to=MOF_REQUESTER_PHONE, text="Resolved: MOF-000002", dedupe_key="w:2")

    # The first worker has claimed the row and is waiting for the gateway's answer: it dies.
    wait_until(gateway.held.is_set, worker=first)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    gateway.release()
    outbox.refresh_from_db()
    assert (outbox.state, outbox.attempts, gateway.accepted) == (Outbox.State.SENDING, 1, [])

    # A claim older than the stale limit is the periodic requeue's to hand to another worker.
    second = start_worker()
    Outbox.objects.filter(pk=outbox.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=11)
    )
    assert outbox_requeue_unsent() == 1
    wait_until(lambda: Outbox.objects.get(pk=outbox.pk).state == Outbox.State.SENT, worker=second)

    assert [m["message"] for m in gateway.accepted] == ["Resolved: MOF-000002"]
    # Whatever comes again now (a redelivered task, the next requeue) sends nothing.
    assert outbox_deliver(outbox_id=outbox.pk) is False
    assert outbox_requeue_unsent() == 0
    assert len(gateway.accepted) == 1
    assert Outbox.objects.get(pk=outbox.pk).attempts == 2
