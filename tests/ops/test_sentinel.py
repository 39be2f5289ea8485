"""Redis behind Sentinel: the master fails during ticket changes, and no notification or
rollup work is lost or done twice.

Real processes on loopback, each stopped by its pid: a Redis master, its replica, a Sentinel,
a Celery worker and a driver making the changes (both with REDIS_SENTINELS set, which the
settings read at start).
"""

import email
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from redis.sentinel import MasterNotFoundError, Sentinel

from agencies.models import Team
from core.models import PendingWork
from core.redis_connection import parse_sentinels
from mail.models import Outbox
from reports.models import ReportFact
from tests.ops.conftest import database_url
from tests.ops.servers import LoopbackRedis, server_folder, stop_pid
from tickets.models import Category, Ticket

BASE_DIR = Path(__file__).resolve().parents[2]
MASTER = "govdesk"
CHANGES = 8


@pytest.fixture
def redis_with_sentinel():
    with server_folder("sentinel") as folder:
        master = LoopbackRedis(folder / "master")
        master.start()
        replica = LoopbackRedis(folder / "replica", replica_of=master.port)
        sentinel = LoopbackRedis(folder / "sentinel")
        try:
            replica.start()
            sentinel.start_sentinel(master_name=MASTER, master_port=master.port)
            manager = Sentinel([("127.0.0.1", sentinel.port)], socket_timeout=1)
            deadline = time.monotonic() + 30
            while not manager.discover_slaves(MASTER):
                assert time.monotonic() < deadline, "the Sentinel never saw the replica"
                time.sleep(0.2)
            yield master, replica, sentinel, manager
        finally:
            for server in (sentinel, replica, master):
                server.stop()


def current_master_port(manager) -> int | None:
    try:
        return manager.discover_master(MASTER)[1]
    except MasterNotFoundError:  # down, and no replica promoted yet
        return None


def sentinel_env(sentinel, queue: str, mail_folder: Path) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpdesk.test_settings",
        "DATABASE_URL": database_url(),
        "REDIS_SENTINELS": f"127.0.0.1:{sentinel.port}",
        "REDIS_SENTINEL_MASTER": MASTER,
        "TEST_CELERY_QUEUE": queue,
        "EMAIL_URL": f"devfiles://{mail_folder}",
    }
    env.pop("REDIS_URL", None)
    return env


@pytest.mark.worker
def test_a_failover_during_ticket_changes_loses_nothing_and_does_nothing_twice(
    redis_with_sentinel, transactional_db, mof, mof_requester, mof_agent, tmp_path
):
    master, replica, sentinel, manager = redis_with_sentinel
    team = Team.objects.create(agency=mof, name="Service desk")
    mof.intake_team = team
    mof.save(update_fields=["intake_team"])
    Category.objects.create(name="Computer and printer", slug="computer-and-printer")
    env = sentinel_env(sentinel, f"sentinel-{os.getpid()}", tmp_path / "mail")

    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--pool", "solo",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"],
        cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    driver = subprocess.Popen(
        [sys.executable, "-m", "tests.ops.sentinel_driver", str(CHANGES), mof_requester.email,
         mof_agent.email],
        cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        # Half the changes made, the master dies; the Sentinel promotes the replica.
        for _ in range(CHANGES // 2):
            line = driver.stdout.readline()
            assert line.startswith("change"), line + driver.stderr.read()
        master.stop(sig=signal.SIGKILL)
        deadline = time.monotonic() + 30
        while current_master_port(manager) != replica.port:
            assert time.monotonic() < deadline, "the Sentinel never promoted the replica"
            time.sleep(0.2)
        output, errors = driver.communicate(timeout=300)
        assert driver.returncode == 0, errors
    finally:
        stop_pid(driver)
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()

    summary = json.loads(output.strip().splitlines()[-1])
    assert summary["cached"] == CHANGES - 1
    assert Ticket.objects.count() == CHANGES
    # Rollup work: one "reported" fact per ticket, none lost, none twice.
    assert ReportFact.objects.filter(kind=ReportFact.Kind.CREATED).count() == CHANGES
    assert not PendingWork.objects.exists()
    # Notifications: every message sent, each exactly once.
    messages = Outbox.objects.filter(channel=Outbox.Channel.EMAIL)
    assert messages.count() >= CHANGES
    assert set(messages.values_list("state", flat=True)) == {Outbox.State.SENT}
    sent = [
        email.message_from_bytes(path.read_bytes())
        for path in sorted((tmp_path / "mail").glob("*.eml"))
    ]
    assert len(sent) == messages.count()
    message_ids = [message["Message-ID"] for message in sent]
    assert len(set(message_ids)) == len(message_ids)


@pytest.mark.parametrize(
    "raw",
    ["", "sentinel.gov.example", "10.0.0.5:port", "10.0.0.5:26379,:26379", "10.0.0.5:99999"],
)
def test_it_refuses_a_bad_sentinel_list(raw):
    with pytest.raises(ValueError, match="REDIS_SENTINELS must"):
        parse_sentinels(raw)


def test_it_reads_a_sentinel_list():
    assert parse_sentinels(" 10.0.0.5:26379, sentinel-2.gov.example:26380 ") == [
        ("10.0.0.5", 26379),
        ("sentinel-2.gov.example", 26380),
    ]


def test_settings_refuse_sentinels_without_a_master_name():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "helpdesk.test_settings",
           "REDIS_SENTINELS": "127.0.0.1:26379"}  # fmt: skip
    env.pop("REDIS_SENTINEL_MASTER", None)
    refused = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=BASE_DIR, env=env, capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip
    assert refused.returncode != 0
    assert "REDIS_SENTINEL_MASTER must name the master" in refused.stderr
