"""seed_bench refuses bad input with one clear line, a non-zero exit, and nothing changed."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User
from agencies.models import Agency

BASE_DIR = Path(__file__).resolve().parent.parent.parent


@pytest.mark.django_db
@pytest.mark.parametrize("tickets", [0, -5])
def test_it_refuses_a_number_of_tickets_below_one(tickets):
    with pytest.raises(CommandError, match=f"--tickets must be 1 or more, got {tickets}"):
        call_command("seed_bench", tickets=tickets)
    assert not Agency.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_database_that_is_not_empty_and_drops_nothing(mof, mof_requester):
    with pytest.raises(CommandError, match="already holds agencies, people or tickets"):
        call_command("seed_bench", tickets=10)
    assert list(Agency.objects.values_list("code", flat=True)) == ["MOF"]
    assert User.objects.count() == 1


def test_it_says_in_one_line_when_postgresql_cannot_be_reached(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "seed_bench", "--tickets", "10"],
        cwd=BASE_DIR,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "1", "REDIS_URL": "redis://127.0.0.1:6379/10",
             "DATABASE_URL": "postgres://postgres@127.0.0.1:1/nowhere", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "Cannot reach PostgreSQL at 127.0.0.1:1, database 'nowhere'" in result.stderr
