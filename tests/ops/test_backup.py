"""The backup drill: seed, back up, restore into an empty database, compare everything."""

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from tests.ops.conftest import database_url
from tickets.attachments import attachments_check, ticket_create_with_attachments
from tickets.models import Category
from tickets.services import ticket_reply

BASE_DIR = Path(__file__).resolve().parents[2]
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


def run_tool(*args: str, database: str, media: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database, "MEDIA_ROOT": str(media)}
    return subprocess.run(
        [sys.executable, str(BASE_DIR / "scripts" / "backup.py"), *args],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


@pytest.fixture
def empty_database(transactional_db):
    """A new, empty database beside the test database, dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restored"
    admin_url = database_url("postgres")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield database_url(name)
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def seeded(test_database_url, settings, tmp_path, mof, mof_requester, mof_agent):
    """Two tickets with attachments and a reply, committed, their files under MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
    category = Category.objects.create(name="Computer and printer", slug="computer")
    for subject, name, content in (
        ("Printer offline", "error.png", PNG),
        ("Payslip", "p.pdf", PDF),
    ):
        ticket = ticket_create_with_attachments(
            requester=mof_requester,
            requester_agency=mof,
            category=category,
            subject=subject,
            description="It shows an error.",
            impact="low",
            urgency="medium",
            files=attachments_check(
                [SimpleUploadedFile(name, content, content_type="application/octet-stream")]
            ),
        )
        ticket_reply(ticket=ticket, author=mof_agent, body="Looking into it.", as_agent=True)
    return test_database_url, settings.MEDIA_ROOT


def table_counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as database:
        tables = [
            row[0]
            for row in database.execute(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables "
                "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') "
                "AND schemaname NOT LIKE 'pg\\_temp\\_%'"
            )
        ]
        return {t: database.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}  # noqa: S608


def sample_rows(url: str) -> list:
    with psycopg.connect(url) as database:
        return [
            database.execute(
                "SELECT reference, subject, status, priority, response_due_at "
                "FROM tickets_ticket ORDER BY id"
            ).fetchall(),
            database.execute("SELECT email, full_name FROM accounts_user ORDER BY id").fetchall(),
            database.execute(
                "SELECT kind, body, created_at FROM tickets_ticketevent ORDER BY id"
            ).fetchall(),
            database.execute(
                "SELECT file, name, size FROM tickets_attachment ORDER BY id"
            ).fetchall(),
        ]


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_it_restores_every_table_row_and_file(seeded, empty_database, tmp_path):
    source_url, media = seeded
    backup_dir = tmp_path / "backup"
    taken = run_tool("backup", "--to", str(backup_dir), database=source_url, media=media)
    assert taken.returncode == 0, taken.stderr
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    assert manifest["tables"]["public.tickets_ticket"] == 2
    assert len(manifest["files"]) == 2
    assert manifest["migrations"]["tickets"]

    restored_media = tmp_path / "restored-media"
    restored = run_tool("restore", "--from", str(backup_dir), database=empty_database,
                        media=restored_media)  # fmt: skip
    assert restored.returncode == 0, restored.stderr
    assert "row counts and checksums match" in restored.stdout

    assert table_counts(empty_database) == table_counts(source_url)
    assert sum(table_counts(empty_database).values()) > 20
    assert sample_rows(empty_database) == sample_rows(source_url)
    assert files_under(restored_media) == files_under(media)
    assert sorted(files_under(restored_media).values()) == sorted([PNG, PDF])


def test_it_backs_up_while_another_session_holds_a_temporary_table(seeded, tmp_path):
    source_url, media = seeded
    with psycopg.connect(source_url, autocommit=True) as other_session:
        other_session.execute("CREATE TEMP TABLE staging (id int)")
        other_session.execute("INSERT INTO staging VALUES (1)")

        taken = run_tool("backup", "--to", str(tmp_path / "backup"), database=source_url,
                         media=media)  # fmt: skip

    assert taken.returncode == 0, taken.stderr
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["tables"]["public.tickets_ticket"] == 2
    assert not [table for table in manifest["tables"] if "staging" in table]


def test_it_refuses_a_database_that_holds_tables(seeded, tmp_path):
    source_url, media = seeded
    backup_dir = tmp_path / "backup"
    assert (
        run_tool("backup", "--to", str(backup_dir), database=source_url, media=media).returncode
        == 0
    )
    before = table_counts(source_url)

    refused = run_tool("restore", "--from", str(backup_dir), database=source_url,
                       media=tmp_path / "empty")  # fmt: skip

    assert refused.returncode == 1
    assert "already holds" in refused.stderr and "empty database" in refused.stderr
    assert table_counts(source_url) == before
    assert not (tmp_path / "empty").exists()


def test_it_refuses_media_that_holds_files(seeded, empty_database, tmp_path):
    source_url, media = seeded
    backup_dir = tmp_path / "backup"
    assert (
        run_tool("backup", "--to", str(backup_dir), database=source_url, media=media).returncode
        == 0
    )

    refused = run_tool("restore", "--from", str(backup_dir), database=empty_database, media=media)

    assert refused.returncode == 1
    assert "MEDIA_ROOT" in refused.stderr
    assert table_counts(empty_database) == {}


@pytest.mark.parametrize("damage", ["truncated dump", "altered file"])
def test_it_refuses_a_damaged_backup_and_writes_nothing(seeded, empty_database, tmp_path, damage):
    source_url, media = seeded
    backup_dir = tmp_path / "backup"
    assert (
        run_tool("backup", "--to", str(backup_dir), database=source_url, media=media).returncode
        == 0
    )
    if damage == "truncated dump":
        dump = backup_dir / "database.dump"
        dump.write_bytes(dump.read_bytes()[:-100])
    else:
        first = next(p for p in (backup_dir / "media").rglob("*") if p.is_file())
        first.write_bytes(b"tampered")

    restored_media = tmp_path / "restored-media"
    refused = run_tool("restore", "--from", str(backup_dir), database=empty_database,
                       media=restored_media)  # fmt: skip

    assert refused.returncode == 1
    assert "does not match its checksum" in refused.stderr
    assert table_counts(empty_database) == {}
    assert not restored_media.exists()


def test_it_refuses_a_folder_that_is_not_a_backup(empty_database, tmp_path):
    refused = run_tool("restore", "--from", str(tmp_path), database=empty_database,
                       media=tmp_path / "m")  # fmt: skip
    assert refused.returncode == 1
    assert "not a GovDesk backup" in refused.stderr


def test_it_refuses_to_back_up_into_a_folder_that_holds_files(test_database_url, tmp_path):
    (tmp_path / "old").write_text("keep me")
    refused = run_tool("backup", "--to", str(tmp_path), database=test_database_url,
                       media=tmp_path / "m")  # fmt: skip
    assert refused.returncode == 1
    assert "not an empty folder" in refused.stderr
    assert (tmp_path / "old").read_text() == "keep me"
