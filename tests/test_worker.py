"""A task sent through the real broker runs on a real Celery worker."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from helpdesk.models import SchedulerHeartbeat
from helpdesk.tasks import record_scheduler_heartbeat

BASE_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture
def celery_worker_process(transactional_db):
    """A worker of this test's own, on this test's database and queue; stopped by its pid."""
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpdesk.test_settings",
        "DATABASE_URL": (
            f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST']}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        ),
        "TEST_CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--pool", "solo",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"],
        cwd=BASE_DIR, env=env, start_new_session=True,
    )  # fmt: skip
    yield worker
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


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
