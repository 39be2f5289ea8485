"""JSON log lines with a request id that follows the request into the task it queued."""

import io
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
import structlog
from django.conf import settings

from agencies.models import Team
from core.broker import broker_reset, task_send
from core.log_context import TASK_HEADER
from core.tasks import record_scheduler_heartbeat
from mail.models import Outbox
from tests.ops.conftest import database_url
from tickets.models import Category

BASE_DIR = Path(__file__).resolve().parents[2]
REQUEST_ID = "req-4f1c2b9a7d"


@pytest.fixture
def request_log_lines():
    """The lines of govdesk.request as the console handler writes them, at the moment they
    are logged (so with the request's context)."""
    console = next(h for h in logging.getLogger().handlers if h.name == "console")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(console.formatter)
    logger = logging.getLogger("govdesk.request")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield lambda: [line for line in json_lines(stream.getvalue()) if line["event"] == "request"]
    logger.removeHandler(handler)
    logger.setLevel(level)


def json_lines(text: str) -> list[dict]:
    lines = []
    for line in text.splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def test_it_writes_a_json_line_per_request_with_its_id(client, db, request_log_lines):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=REQUEST_ID)

    assert response["X-Request-ID"] == REQUEST_ID
    lines = request_log_lines()
    assert lines[-1]["request_id"] == REQUEST_ID
    assert lines[-1]["path"] == "/healthz"
    assert lines[-1]["view"] == "health"
    assert lines[-1]["logger"] == "govdesk.request"
    assert lines[-1]["level"] == "info"
    assert "timestamp" in lines[-1]


def test_it_makes_a_request_id_when_none_is_given_or_it_is_odd(client, db):
    made = client.get("/healthz")["X-Request-ID"]
    odd = client.get("/healthz", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"]
    assert len(made) == 32 and len(odd) == 32 and made != odd


def test_it_puts_the_request_id_on_the_tasks_a_request_queues(db):
    structlog.contextvars.bind_contextvars(request_id=REQUEST_ID)
    published = {}

    def keep(sender=None, headers=None, **kwargs):
        published.update(headers)

    from celery.signals import before_task_publish

    before_task_publish.connect(keep, weak=False)
    try:
        broker_reset()
        assert task_send(record_scheduler_heartbeat)
    finally:
        before_task_publish.disconnect(keep)
        structlog.contextvars.clear_contextvars()
        redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(settings.CELERY_TASK_DEFAULT_QUEUE)
    assert published[TASK_HEADER] == REQUEST_ID


@pytest.fixture
def logging_worker(transactional_db, tmp_path):
    """A worker on this test's database and queue whose log lines go to a file."""
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpdesk.test_settings",
        "DATABASE_URL": database_url(),
        "TEST_CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
    }
    with log.open("w") as stream:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--pool", "solo",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO"],
            cwd=BASE_DIR, env=env, stdout=stream, stderr=stream, start_new_session=True,
        )  # fmt: skip
    yield worker, log
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


@pytest.mark.worker
def test_the_tasks_a_request_queued_log_its_request_id(
    client, logging_worker, mof, mof_requester, mof_agent, request_log_lines
):
    worker, log = logging_worker
    team = Team.objects.create(agency=mof, name="Service desk")
    mof.intake_team = team
    mof.save(update_fields=["intake_team"])
    Category.objects.create(name="Computer and printer", slug="computer-and-printer")
    client.force_login(mof_requester)
    broker_reset()
    # Only this request's tasks: none an earlier test of this process left in its queue.
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(settings.CELERY_TASK_DEFAULT_QUEUE)

    response = client.post(
        "/api/v1/tickets/",
        {"subject": "Cannot print", "description": "The printer says offline.",
         "category": "computer-and-printer", "impact": "low", "urgency": "medium"},
        content_type="application/json", HTTP_X_REQUEST_ID=REQUEST_ID,
    )  # fmt: skip

    assert response.status_code == 201, response.content
    # A new ticket's acknowledgement is written by the worker that drains the creation's
    # pending work, then delivered by a second task: both carry the request's id.
    deadline = time.monotonic() + 60
    while not Outbox.objects.exists() or Outbox.objects.exclude(state=Outbox.State.SENT).exists():
        assert worker.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)
    time.sleep(0.5)

    web = request_log_lines()
    assert [line["request_id"] for line in web if line["path"] == "/api/v1/tickets/"] == [
        REQUEST_ID
    ]
    tasks = [line for line in json_lines(log.read_text()) if line.get("event") == "task finished"]
    delivered = [line for line in tasks if line["task"] == "mail.tasks.deliver_outbox"]
    assert delivered, log.read_text()
    assert {line["request_id"] for line in delivered} == {REQUEST_ID}
    assert {line["state"] for line in delivered} == {"SUCCESS"}
