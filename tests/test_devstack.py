"""The embedded servers behind `make run` and `make test`: shared, then stopped by the last user."""

import email
import email.policy
import importlib.util
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.mail import EmailMultiAlternatives, get_connection

from helpdesk.env import email_from_env

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


def devstack_module():
    spec = importlib.util.spec_from_file_location("devstack", BASE_DIR / "scripts" / "devstack.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_it_points_links_in_e_mail_at_the_port_it_serves_on(monkeypatch, tmp_path):
    monkeypatch.delenv("SITE_URL", raising=False)
    monkeypatch.delenv("EMAIL_URL", raising=False)
    added = devstack_module().serve_environment(8123, tmp_path)
    assert added["SITE_URL"] == "http://127.0.0.1:8123"
    assert added["EMAIL_URL"] == f"devfiles://{tmp_path.resolve() / 'mail'}"


def test_it_leaves_a_site_address_set_in_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SITE_URL", "https://desk.gov.example")
    monkeypatch.setenv("EMAIL_URL", "smtp://mail.gov.example:587")
    assert devstack_module().serve_environment(8123, tmp_path) == {}


def test_it_reads_a_devfiles_email_url(tmp_path):
    assert email_from_env_value(f"devfiles://{tmp_path}") == {
        "EMAIL_BACKEND": "core.dev_mail.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path),
    }
    assert email_from_env_value("devfiles://")["EMAIL_FILE_PATH"].endswith(".devdata/mail")


def email_from_env_value(value: str) -> dict:
    os.environ["GOVDESK_TEST_EMAIL_URL"] = value
    try:
        return email_from_env("GOVDESK_TEST_EMAIL_URL", "console://")
    finally:
        del os.environ["GOVDESK_TEST_EMAIL_URL"]


def test_it_prints_one_line_per_e_mail_and_keeps_the_whole_message(tmp_path, settings):
    settings.EMAIL_BACKEND = "core.dev_mail.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    console = io.StringIO()
    connection = get_connection(stream=console)
    sent = EmailMultiAlternatives(
        "[MOF-000001] Printer offline", "It is fixed.\n" * 40, to=["requester@mof.gov.test"],
        connection=connection,
    ).send()  # fmt: skip
    assert sent == 1
    [line] = console.getvalue().splitlines()
    assert line.startswith("mail: to requester@mof.gov.test: [MOF-000001] Printer offline")
    [kept] = (tmp_path / "mail").glob("*.eml")
    message = email.message_from_bytes(kept.read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "[MOF-000001] Printer offline"
    assert message.get_content().count("It is fixed.") == 40
