"""A task sent through the real broker runs on a real Celery worker."""

import time

import pytest

from core.models import SchedulerHeartbeat
from core.tasks import record_scheduler_heartbeat


@pytest.mark.worker
@pytest.mark.xdist_group("worker")
def test_it_runs_a_task_on_the_real_worker(celery_worker_process):
    record_scheduler_heartbeat.delay()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not SchedulerHeartbeat.objects.exists():
        assert celery_worker_process.poll() is None, "the worker exited"
        time.sleep(0.2)
    assert SchedulerHeartbeat.objects.filter(name="beat").exists()


def test_it_records_the_heartbeat_once_however_often_it_runs(db):
    record_scheduler_heartbeat()
    record_scheduler_heartbeat()
    assert SchedulerHeartbeat.objects.count() == 1
