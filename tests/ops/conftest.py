"""Fixtures of the operations tests: the test database's URL, for tools run as processes."""

import pytest
from django.db import connection


def database_url(name: str | None = None) -> str:
    database = connection.settings_dict
    password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
    return (
        f"postgres://{database['USER']}{password}@{database['HOST'] or '127.0.0.1'}:"
        f"{database['PORT'] or 5432}/{name or database['NAME']}"
    )


@pytest.fixture
def test_database_url(transactional_db) -> str:
    """The URL of this test's database, whose rows other processes see (nothing is rolled
    back: the transactional_db fixture empties the tables afterwards)."""
    return database_url()
