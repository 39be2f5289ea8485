"""The after-commit work queue: work recorded in a transaction is done once after it commits,
by whichever drain gets to it first; a failure or an unknown topic keeps its row, with the
reason and a backoff, and holds up no other row."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connections, transaction
from django.utils import timezone

from core import pending_work
from core.models import PendingWork
from core.pending_work import (
    Run,
    pending_work_backlog,
    pending_work_drain,
    pending_work_drain_together,
    pending_work_handler,
    pending_work_record,
)
from core.tasks import drain_pending_work

# The queue this process's messages go to is emptied before and after each test.
from tests.notifications.conftest import _empty_queue as _empty_queue

pytestmark = pytest.mark.django_db


class Done:
    """A handler that keeps the payloads it was given, from any thread."""

    def __init__(self):
        self.payloads: list[dict] = []
        self.lock = threading.Lock()

    def __call__(self, payload: dict) -> None:
        with self.lock:
            self.payloads.append(payload)


def fail(payload: dict) -> None:
    raise RuntimeError("the receiving system said no")


@pytest.fixture(autouse=True)
def handlers(monkeypatch):
    """The registry as the apps left it, plus what a test registers, forgotten afterwards."""
    monkeypatch.setattr(pending_work, "_handlers", dict(pending_work._handlers))
    monkeypatch.setattr(pending_work, "_batch_handlers", dict(pending_work._batch_handlers))


@pytest.fixture
def done():
    done = Done()
    pending_work_handler("test.done", done)
    return done


@pytest.fixture
def failing():
    pending_work_handler("test.failing", fail)


def record(*items) -> list[int]:
    with transaction.atomic():
        return pending_work_record(items=items)


# -- Recording and draining ------------------------------------------------------------------


def test_it_does_inline_work_once_the_transaction_commits(done, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        (pk,) = pending_work_record(items=[("test.done", {"n": 1}, Run.INLINE)])
        assert done.payloads == []  # not before the commit
        assert PendingWork.objects.filter(pk=pk).exists()

    assert done.payloads == [{"n": 1}]
    assert not PendingWork.objects.exists()


def test_it_leaves_task_work_to_the_worker(done, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ids = record(("test.done", {"n": 1}, Run.TASK))

    assert done.payloads == []  # a message was sent; no worker reads it here
    assert drain_pending_work(ids) == 1
    assert drain_pending_work(ids) == 0
    assert done.payloads == [{"n": 1}]


def test_it_drains_only_the_topic_it_is_asked_for(done):
    pending_work_handler("test.other", Done())
    record(("test.other", {"n": 1}, Run.TASK), ("test.done", {"n": 2}, Run.TASK))

    assert pending_work_drain(topic="test.done") == 1

    assert done.payloads == [{"n": 2}]
    assert list(PendingWork.objects.values_list("topic", flat=True)) == ["test.other"]


def test_it_drains_more_rows_than_one_batch(done):
    record(*[("test.done", {"n": n}, Run.TASK) for n in range(7)])

    assert pending_work_drain(batch=3) == 7

    assert [payload["n"] for payload in done.payloads] == list(range(7))
    assert pending_work_backlog() == {"count": 0, "oldest": None}


# -- Failures --------------------------------------------------------------------------------


def test_it_keeps_a_failed_row_with_a_backoff_and_holds_up_no_other(done, failing):
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        failed_pk, *_ = record(
            ("test.failing", {"n": 0}, Run.TASK),
            *[("test.done", {"n": n}, Run.TASK) for n in range(1, 4)],
        )
        # Batches of one: the failed row comes first each time and is passed over.
        assert pending_work_drain(batch=1) == 3

    assert [payload["n"] for payload in done.payloads] == [1, 2, 3]
    row = PendingWork.objects.get()
    assert row.pk == failed_pk
    assert row.attempts == 1
    assert row.last_error == "RuntimeError: the receiving system said no"
    assert row.not_before == now + timedelta(seconds=60)
    assert pending_work_backlog()["count"] == 1


def test_it_waits_for_the_backoff_before_trying_again_and_waits_longer_each_time(failing):
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        record(("test.failing", {}, Run.TASK))
        assert pending_work_drain() == 0

    with time_machine.travel(now + timedelta(seconds=59), tick=False):
        assert pending_work_drain() == 0
    assert PendingWork.objects.get().attempts == 1  # not yet due: not tried

    later = now + timedelta(seconds=60)
    with time_machine.travel(later, tick=False):
        assert pending_work_drain() == 0
    row = PendingWork.objects.get()
    assert (row.attempts, row.not_before) == (2, later + timedelta(seconds=120))


def test_it_never_waits_more_than_an_hour_between_tries(failing):
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        (pk,) = record(("test.failing", {}, Run.TASK))
        PendingWork.objects.filter(pk=pk).update(attempts=20)
        assert pending_work_drain() == 0
    assert PendingWork.objects.get().not_before == now + timedelta(hours=1)


def test_it_rolls_back_what_a_failing_handler_wrote(done):
    def half_done(payload):
        PendingWork.objects.create(
            topic="test.done", payload={"n": "half"}, created_at=timezone.now(),
            not_before=timezone.now() + timedelta(days=1),
        )  # fmt: skip
        raise RuntimeError("failed after writing")

    pending_work_handler("test.half", half_done)
    record(("test.half", {}, Run.TASK))

    assert pending_work_drain() == 0

    assert list(PendingWork.objects.values_list("topic", flat=True)) == ["test.half"]


def test_it_keeps_a_row_of_an_unknown_topic_with_the_reason():
    record(("nobody.listens", {"n": 1}, Run.TASK))

    assert pending_work_drain() == 0

    row = PendingWork.objects.get()
    assert (row.topic, row.payload, row.attempts) == ("nobody.listens", {"n": 1}, 1)
    assert row.last_error == "LookupError: no handler for topic 'nobody.listens'"


def test_it_refuses_a_second_handler_for_a_topic(done):
    pending_work_handler("test.done", done)  # the same one again: an app's ready() run twice

    with pytest.raises(ValueError, match=r"'test\.done' already has a handler"):
        pending_work_handler("test.done", Done())


# -- Two drains at once ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_it_does_each_row_once_when_two_drains_run_at_once():
    rows = 40
    together = threading.Barrier(2, timeout=20)
    seen: dict[int, list[str]] = {}
    lock = threading.Lock()

    def handler(payload):
        name = threading.current_thread().name
        with lock:
            first = not any(name in names for names in seen.values())
            seen.setdefault(payload["n"], []).append(name)
        if first:
            # Each drain holds its first batch locked until the other holds one too: the
            # second cannot wait on the first's rows, it must skip them.
            together.wait()

    pending_work_handler("test.race", handler)
    pending_work_record(items=[("test.race", {"n": n}, Run.TASK) for n in range(rows)])
    counts: dict[str, int] = {}

    def drain():
        try:
            counts[threading.current_thread().name] = pending_work_drain(batch=5)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=drain, name=f"drain-{n}") for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not together.broken, "the two drains never held rows at the same time"
    assert sorted(seen) == list(range(rows))
    assert all(len(names) == 1 for names in seen.values()), "a row was done twice"
    assert sorted(counts) == ["drain-0", "drain-1"]
    assert all(counts.values())  # both did some of the work
    assert sum(counts.values()) == rows
    assert not PendingWork.objects.exists()


def test_it_hands_a_topics_rows_to_its_batch_handler_in_one_call(db):
    calls = []
    pending_work_handler(
        "test.batched", lambda payload: calls.append([payload]), batch=calls.append
    )
    with transaction.atomic():
        pending_work_record(items=[("test.batched", {"n": n}, Run.TASK) for n in range(5)])
    assert pending_work_drain(topic="test.batched") == 5
    assert calls == [[{"n": n} for n in range(5)]]  # one call for the five
    assert not PendingWork.objects.filter(topic="test.batched").exists()


def test_it_falls_back_row_by_row_when_a_batch_fails(db):
    def batch(payloads):
        raise ValueError("one of these is bad")

    def one(payload):
        if payload["n"] == 2:
            raise ValueError("bad")

    pending_work_handler("test.batch_fails", one, batch=batch)
    with transaction.atomic():
        pending_work_record(items=[("test.batch_fails", {"n": n}, Run.TASK) for n in range(4)])
    assert pending_work_drain(topic="test.batch_fails") == 3
    [left] = PendingWork.objects.filter(topic="test.batch_fails")
    assert left.payload == {"n": 2} and left.attempts == 1


# -- One pass for the inline rows of one change ------------------------------------------------


def test_it_does_the_inline_rows_of_one_change_in_one_call_after_the_commit(
    done, django_capture_on_commit_callbacks
):
    calls = []
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        pending_work_record(
            items=[
                ("test.done", {"n": 1}, Run.INLINE),
                ("test.done", {"n": 2}, Run.INLINE),
                ("test.done", {"n": 3}, Run.TASK),
            ],
            together=calls.append,
        )
        assert calls == []  # not before the commit

    assert calls == [[{"n": 1}, {"n": 2}]]
    assert done.payloads == []  # the rows' own handler is the fallback only
    assert [row.payload for row in PendingWork.objects.all()] == [{"n": 3}]  # the worker's


def test_it_falls_back_row_by_row_when_the_pass_fails_and_keeps_only_the_row_at_fault(
    done, failing, django_capture_on_commit_callbacks
):
    wrote_in_the_pass = []

    def together(payloads):
        PendingWork.objects.create(topic="test.written", payload={}, created_at=timezone.now(),
                                   not_before=timezone.now())  # fmt: skip
        wrote_in_the_pass.append(True)
        raise RuntimeError("one of them failed")

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        failed_pk, *_ = pending_work_record(
            items=[
                ("test.failing", {"n": 0}, Run.INLINE),
                *[("test.done", {"n": n}, Run.INLINE) for n in (1, 2)],
            ],
            together=together,
        )

    assert wrote_in_the_pass  # ran, and what it wrote was undone with it
    assert not PendingWork.objects.filter(topic="test.written").exists()
    assert [payload["n"] for payload in done.payloads] == [1, 2]
    row = PendingWork.objects.get()
    assert (row.pk, row.attempts) == (failed_pk, 1)
    assert row.last_error == "RuntimeError: the receiving system said no"


@pytest.mark.django_db(transaction=True)
def test_it_leaves_a_row_another_drain_holds_to_that_drain(done):
    held, free = record(("test.done", {"n": 1}, Run.TASK), ("test.done", {"n": 2}, Run.TASK))
    calls = []
    other = connections.create_connection("default")
    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:
            cursor.execute("SELECT id FROM core_pendingwork WHERE id = %s FOR UPDATE", [held])
        assert pending_work_drain_together([held, free], calls.append) == 1
    finally:
        other.rollback()
        other.close()

    assert calls == [[{"n": 2}]]
    assert list(PendingWork.objects.values_list("pk", flat=True)) == [held]
