"""The embedded servers behind `make run` and `make test`: shared, then stopped by the last user."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
DEVSTACK = [sys.executable, str(BASE_DIR / "scripts" / "devstack.py")]
CONNECT = (
    "import os, psycopg, redis; "
    "psycopg.connect(os.environ['DATABASE_URL']).execute('select 1'); "
    "redis.Redis.from_url(os.environ['REDIS_URL']).ping(); print('connected')"
)


@pytest.fixture
def data_dir(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["DEVSTACK_DATA_DIR"] = str(tmp_path / "devdata")
    yield tmp_path / "devdata", env
    subprocess.run([*DEVSTACK, "stop"], env=env, check=False, capture_output=True)


def server_pids(data_dir: Path) -> list[int]:
    pids = []
    for pid_file, line in (
        (data_dir / "postgres" / "postmaster.pid", 0),
        (data_dir / "redis" / "redis.pid", 0),
    ):
        try:
            pid = int(pid_file.read_text().split()[line])
        except (OSError, ValueError, IndexError):
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        pids.append(pid)
    return pids


@pytest.mark.xdist_group("devstack")
def test_it_keeps_shared_servers_until_the_last_user_leaves(data_dir):
    folder, env = data_dir
    first = subprocess.Popen([*DEVSTACK, "exec", "--", "sleep", "4"], env=env)
    deadline = time.monotonic() + 60
    while len(server_pids(folder)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    second = subprocess.run(
        [*DEVSTACK, "exec", "--", "sh", "-c", f'sleep 6; {sys.executable} -c "{CONNECT}"'],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    first.wait(timeout=60)
    assert second.returncode == 0, second.stderr
    assert "connected" in second.stdout
    assert server_pids(folder) == []


@pytest.mark.xdist_group("devstack")
def test_it_passes_the_commands_exit_status_through(data_dir):
    _, env = data_dir
    result = subprocess.run(
        [*DEVSTACK, "exec", "--", "sh", "-c", "exit 3"],
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 3
