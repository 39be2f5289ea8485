"""The benchmark itself is not a test; this runs it at N=200 with few requests, so that it
keeps working, and checks the shape of what it writes (to a temporary folder)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

from bench.run import RESULT_KEYS

pytestmark = pytest.mark.xdist_group("bench")

BASE_DIR = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def smoke_database(django_db_setup):
    """A database of its own on the test server, dropped at the end."""
    database = settings.DATABASES["default"]
    server_url = (
        f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST']}:"
        f"{database['PORT'] or 5432}/postgres"
    )
    name = f"{database['NAME']}_smoke"[:63]
    yield server_url, name
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_it_measures_every_scenario_at_200_tickets(smoke_database, tmp_path):
    server_url, name = smoke_database
    output = tmp_path / "latest.json"
    env = {
        **os.environ,
        "DATABASE_URL": server_url,
        "REDIS_URL": settings.REDIS_URL,
        "BENCH_DATABASE": name,
        "BENCH_TICKETS": "200",
        "BENCH_REQUESTS": "3",
        "BENCH_WARMUP": "1",
        "BENCH_CONCURRENCY": "2",
        "BENCH_DURATION": "1",
        "BENCH_SWEEP_DUE": "5",
        "BENCH_SWEEP_RUNS": "1",
        "BENCH_CHANGES": "10",
        "BENCH_CREATORS": "4",
        "BENCH_CREATE_WORKERS": "2",
        "BENCH_OUTPUT": str(output),
        "BENCH_STATIC_ROOT": str(tmp_path / "static"),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-m", "bench.run"], cwd=BASE_DIR, env=env, capture_output=True,
        text=True, timeout=170,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(output.read_text())
    assert report["tickets"] == 200
    assert report["date"] and report["machine"]
    assert list(report["results"]) == RESULT_KEYS
    for key, measured in report["results"].items():
        if measured.get("available") is False:
            assert measured["reason"], key  # a missing part says why
        else:
            assert measured["p50_ms"] <= measured["p95_ms"], key
            assert measured["requests"] >= 1, key
    # What is always there: the pages of the tickets app, the sweep, the ceiling, and the
    # refresh of the rollups after BENCH_CHANGES notes, each of them pending for the reports.
    for key in ("requester_home", "ticket_create_web", "agent_queue", "ticket_page", "ceiling",
                "rollup_refresh"):  # fmt: skip
        assert "p50_ms" in report["results"][key], (key, report["results"][key])
    assert report["results"]["agent_queue"]["rps"] > 0
    creation = report["results"]["create_concurrent"]
    assert creation["rps"] > 0 and creation["p50_ms"] <= creation["p99_ms"], creation
    assert (creation["creators"], creation["workers"]) == (4, 2)
    assert creation["duplicates"] == 0 and creation["gap_free"], creation
    assert report["results"]["ceiling"]["queries"] == 0
    assert report["results"]["sla_sweep"]["tickets_due"] >= 1
    assert report["worker_peak_rss_mb"] > 0
    assert "| agent_queue |" in result.stdout
