"""Rows written in one statement are the rows Django's bulk methods write."""

from datetime import UTC, datetime, timedelta

import pytest

from core.bulk import rows_insert, rows_update
from core.models import PendingWork

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 3, 9, 30, 15, 123456, tzinfo=UTC)
FIELDS = ["topic", "payload", "created_at", "not_before", "attempts", "last_error"]


def rows(model, ids):
    return list(model.objects.filter(pk__in=ids).order_by("pk").values_list(*FIELDS))


def works(tag: str) -> list[PendingWork]:
    payloads = [{}, {"events": [1, 2, 3], "quiet": "none"}, {"text": 'l\'été "cité" \\ {a,b}'}]
    return [
        PendingWork(topic=f"{tag}:{n}", payload=payload, created_at=NOW,
                    not_before=NOW + timedelta(minutes=n), attempts=n, last_error="")
        for n, payload in enumerate(payloads)
    ]  # fmt: skip


def test_it_inserts_what_bulk_create_inserts_and_gives_each_its_key(django_assert_num_queries):
    created = PendingWork.objects.bulk_create(works("same"))
    with django_assert_num_queries(1):
        inserted = rows_insert(works("same"))

    assert [work.pk for work in inserted] == sorted(work.pk for work in inserted)
    assert all(not work._state.adding for work in inserted)
    assert rows(PendingWork, [w.pk for w in inserted]) == rows(PendingWork, [w.pk for w in created])
    assert rows_insert([]) == []


def test_it_updates_what_bulk_update_updates(django_assert_num_queries):
    first, second = rows_insert(works("a")), rows_insert(works("b"))
    for group in (first, second):
        for work in group:
            work.payload = {"events": [work.pk], "note": "it's done"}
            work.attempts += 1
            work.not_before = NOW + timedelta(days=1)
    PendingWork.objects.bulk_update(first, ["payload", "attempts", "not_before"])
    with django_assert_num_queries(1):
        assert rows_update(second, ["payload", "attempts", "not_before"]) == 3

    def comparable(group):
        return [(row[1].get("note"), *row[2:]) for row in rows(PendingWork, [w.pk for w in group])]

    assert comparable(first) == comparable(second)
