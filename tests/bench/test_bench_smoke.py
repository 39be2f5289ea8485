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
    """A database of its own on the test server (one per size), dropped at the end."""
    database = settings.DATABASES["default"]
    server_url = (
        f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST']}:"
        f"{database['PORT'] or 5432}/postgres"
    )
    name = f"{database['NAME']}_smoke"[:50]
    yield server_url, name
    with psycopg.connect(server_url, autocommit=True) as conn:
        for created in (name, f"{name}_100", f"{name}_200"):
            conn.execute(f'DROP DATABASE IF EXISTS "{created}" WITH (FORCE)')


def test_it_measures_every_scenario_at_two_sizes_and_reports_growth_and_regressions(
    smoke_database, tmp_path
):
    server_url, name = smoke_database
    output = tmp_path / "latest.json"
    # A committed run at 200 tickets in which the requester's home page took no time at all
    # and the ticket page a minute: this run is slower on the first, not on the second.
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps({
        "tickets": 200, "date": "2026-12-01 09:00 UTC",
        "results": {"requester_home": {"p50_ms": 0.01, "p95_ms": 0.01, "queries": 6},
                    "ticket_page": {"p50_ms": 60000.0, "p95_ms": 60000.0, "queries": 12}},
    }))  # fmt: skip
    env = {
        **os.environ,
        "DATABASE_URL": server_url,
        "REDIS_URL": settings.REDIS_URL,
        "BENCH_DATABASE": name,
        "BENCH_TICKETS": "200,100",
        "BENCH_BASELINE": str(baseline),
        "BENCH_REQUESTS": "3",
        "BENCH_WARMUP": "1",
        "BENCH_CONCURRENCY": "2",
        "BENCH_DURATION": "1",
        "BENCH_SWEEP_DUE": "5",
        "BENCH_SWEEP_RUNS": "1",
        "BENCH_CHANGES": "10",
        "BENCH_CREATORS": "4",
        "BENCH_CREATE_WORKERS": "2",
        "BENCH_ARTICLES": "300",
        "BENCH_OUTPUT": str(output),
        "BENCH_STATIC_ROOT": str(tmp_path / "static"),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-m", "bench.run"], cwd=BASE_DIR, env=env, capture_output=True,
        text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(output.read_text())
    assert report["tickets"] == 200
    assert report["smaller"]["tickets"] == 100
    for run in (report, report["smaller"]):
        assert run["date"] and run["machine"]
        assert list(run["results"]) == RESULT_KEYS
        for key, measured in run["results"].items():
            if measured.get("available") is False:
                assert measured["reason"], key  # a missing part says why
            else:
                assert measured["p50_ms"] <= measured["p95_ms"], key
                assert measured["requests"] >= 1, key
    # What is always there: the pages of the tickets app, the sweep, the ceiling, and the
    # refresh of the rollups after BENCH_CHANGES notes, each of them pending for the reports.
    # At each size, in its own database: the signed-in pages too.
    for run in (report, report["smaller"]):
        for key in ("requester_home", "portal_home", "ticket_create_web", "agent_queue",
                    "agent_saved_view", "agent_saved_views", "ticket_page", "ceiling",
                    "rollup_refresh", "sla_sweep"):  # fmt: skip
            assert "p50_ms" in run["results"][key], (run["tickets"], key, run["results"][key])
    assert report["results"]["agent_queue"]["rps"] > 0
    # The help search among the articles the run adds to each database, in fixed queries.
    for run in (report, report["smaller"]):
        for key in ("help_search", "help_search_signed_in", "intake_suggestions"):
            assert "p50_ms" in run["results"][key], (run["tickets"], key, run["results"][key])
        assert run["results"]["help_search"]["queries"] == 1
    creation = report["results"]["create_concurrent"]
    assert creation["rps"] > 0 and creation["p50_ms"] <= creation["p99_ms"], creation
    assert (creation["creators"], creation["workers"]) == (4, 2)
    assert creation["duplicates"] == 0 and creation["gap_free"], creation
    assert report["results"]["ceiling"]["queries"] == 0
    assert report["results"]["sla_sweep"]["tickets_due"] >= 1
    assert report["worker_peak_rss_mb"] > 0
    assert "| agent_queue |" in result.stdout
    # The size ratio: every scenario measured at both sizes, larger over smaller.
    growth = report["growth"]
    assert growth["tickets"] == [100, 200]
    assert "ceiling" in growth["ratios"] and "agent_queue" in growth["ratios"]
    for key, row in growth["ratios"].items():
        smaller, larger = row["p95_ms"]
        assert smaller == report["smaller"]["results"][key]["p95_ms"], key
        assert larger == report["results"][key]["p95_ms"], key
        assert row["ratio"] == round(larger / smaller, 2), key
        assert (key in growth["growing"]) == (row["ratio"] > 1.5), key
    assert "p95 at 200 tickets over p95 at 100" in result.stdout
    assert f"| ceiling | {growth['ratios']['ceiling']['p95_ms'][0]} |" in result.stdout
    # The regressions: compared at 200 tickets only, where the baseline has a run.
    assert report["smaller"]["regressions"]["compared"] is False
    assert "not compared, the baseline holds no run at 100 tickets" in result.stdout
    assert list(report["regressions"]["slower"]) == ["requester_home"]
    assert report["regressions"]["slower"]["requester_home"]["baseline_p95_ms"] == 0.01
    assert "Regressions at 200 tickets, more than 25% slower than the baseline of " \
        "2026-12-01 09:00 UTC: requester_home +" in result.stdout  # fmt: skip
