"""Reads routed to a real streaming replica, and back to the primary when it lags or stops.

The test starts its own primary and, per test, a replica made with `pg_basebackup -R`, both
PostgreSQL servers on loopback, stopped by their pids. GovDesk runs as processes of its own
(tests/ops/replica_probe.py), because the settings read DATABASE_REPLICA_URL at start.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from tests.ops.servers import LoopbackPostgres, postgres_user, server_folder

pytestmark = pytest.mark.xdist_group(name="replica")
BASE_DIR = Path(__file__).resolve().parents[2]


def govdesk(*args: str, primary: str, replica: str | None, max_lag: int = 300):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpdesk.test_settings",
        "DATABASE_URL": primary,
        "REPLICA_MAX_LAG_SECONDS": str(max_lag),
        "REPLICA_CHECK_SECONDS": "1",
    }
    env.pop("DATABASE_REPLICA_URL", None)
    if replica:
        env["DATABASE_REPLICA_URL"] = replica
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip


def probe(*args: str, **servers) -> dict:
    done = govdesk("-m", "tests.ops.replica_probe", *args, **servers)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def primary():
    with server_folder("primary") as folder:
        user = postgres_user(folder / "data")
        server = LoopbackPostgres(folder / "data", user=user)
        server.initdb()
        server.start()
        try:
            with psycopg.connect(server.url(), autocommit=True) as admin:
                admin.execute("CREATE DATABASE govdesk")
            probe("schema", primary=server.url("govdesk"), replica=None)
            # The scheduler's heartbeat, so that /healthz is 200 unless the replica matters.
            probe("write", "beat", primary=server.url("govdesk"), replica=None)
            yield server
        finally:
            server.stop()


@pytest.fixture
def replica(primary):
    with server_folder("replica") as folder:
        user = postgres_user(folder / "data")
        server = LoopbackPostgres(folder / "data", user=user)
        server.base_backup_of(primary)
        server.start()
        try:
            yield server
        finally:
            server.stop()


def wait_until_replicated(replica, name: str) -> None:
    deadline = time.monotonic() + 30
    with psycopg.connect(replica.url("govdesk"), autocommit=True) as database:
        while time.monotonic() < deadline:
            found = database.execute(
                "SELECT 1 FROM core_schedulerheartbeat WHERE name = %s", [name]
            ).fetchone()
            if found:
                return
            time.sleep(0.1)
    raise AssertionError(f"{name} never reached the replica")


def pause_replay(replica) -> None:
    with psycopg.connect(replica.url("govdesk"), autocommit=True) as database:
        database.execute("SELECT pg_wal_replay_pause()")


def test_it_reads_from_the_replica_and_keeps_transactions_on_the_primary(primary, replica):
    urls = {"primary": primary.url("govdesk"), "replica": replica.url("govdesk")}
    probe("write", "first", **urls)
    wait_until_replicated(replica, "first")
    # Replay paused: what the replica serves is now visibly older than the primary.
    pause_replay(replica)
    probe("write", "second", **urls)

    seen = probe("read", **urls)

    assert seen["routed"]["db"] == "replica"
    assert seen["routed"]["names"] == ["beat", "first"]
    assert seen["routed"]["in_transaction"] == {
        "db": "default",
        "names": ["beat", "first", "second"],
    }
    assert seen["routed"]["outside"] == {"db": "default", "names": ["beat", "first", "second"]}
    assert seen["health"]["status_code"] == 200
    assert seen["health"]["checks"]["replica"]["ok"] is True


def test_it_falls_back_to_the_primary_when_the_replica_lags(primary, replica):
    urls = {"primary": primary.url("govdesk"), "replica": replica.url("govdesk")}
    probe("write", "before-lag", **urls)
    wait_until_replicated(replica, "before-lag")
    pause_replay(replica)
    probe("write", "during-lag", **urls)
    time.sleep(1.5)

    seen = probe("read", **urls, max_lag=1)

    assert seen["routed"]["db"] == "default"
    assert "during-lag" in seen["routed"]["names"]
    replica_health = seen["health"]["checks"]["replica"]
    assert replica_health["ok"] is False
    assert replica_health["reads_from"] == "primary"
    assert replica_health["lag_seconds"] > 1
    assert "more than the 1 s allowed" in replica_health["error"]
    assert seen["health"]["status_code"] == 200

    with psycopg.connect(replica.url("govdesk"), autocommit=True) as database:
        database.execute("SELECT pg_wal_replay_resume()")
    wait_until_replicated(replica, "during-lag")
    assert probe("read", **urls, max_lag=1)["routed"]["db"] == "replica"


def test_it_falls_back_to_the_primary_when_the_replica_stops(primary, replica):
    urls = {"primary": primary.url("govdesk"), "replica": replica.url("govdesk")}
    assert probe("read", **urls)["routed"]["db"] == "replica"
    replica.stop()
    probe("write", "after-stop", **urls)

    seen = probe("read", **urls)

    assert seen["routed"]["db"] == "default"
    assert "after-stop" in seen["routed"]["names"]
    assert seen["health"]["status_code"] == 200
    assert seen["health"]["checks"]["replica"] == {
        "ok": False,
        "reads_from": "primary",
        "error": "down (OperationalError)",
    }


def test_it_refuses_a_replica_url_that_is_the_primary_url(primary):
    refused = govdesk("manage.py", "check", primary=primary.url("govdesk"),
                      replica=primary.url("govdesk"))  # fmt: skip
    assert refused.returncode != 0
    assert "DATABASE_REPLICA_URL names the same server and database as DATABASE_URL" in (
        refused.stderr
    )


def test_it_uses_no_replica_that_is_the_primary_under_another_name(primary):
    seen = probe("read", primary=primary.url("govdesk"),
                 replica=primary.url("govdesk", host="localhost"))  # fmt: skip
    assert seen["routed"]["db"] == "default"
    assert seen["health"]["checks"]["replica"]["ok"] is False
    assert "not a replica" in seen["health"]["checks"]["replica"]["error"]
