"""The escalation sweep writes each batch with a fixed number of queries, and leaves the
telling of people to a worker after its commit."""

import time

import pytest

from core.models import PendingWork
from core.pending_work import pending_work_drain
from core.tasks import drain_pending_work
from notifications.models import Notice
from tests.tickets.test_sla_clock import (  # noqa: F401 - fixtures
    at,
    government_service_levels,
    ticket_at,
)
from tickets.escalation import escalation_sweep
from tickets.models import Ticket


def pending_ids() -> list[int]:
    return sorted(PendingWork.objects.values_list("pk", flat=True))


@pytest.mark.parametrize("due", [5, 50])
def test_it_sweeps_a_batch_in_the_same_queries_however_many_are_due(
    ticket_at,  # noqa: F811
    due,
    django_assert_num_queries,
):
    for _ in range(due):
        ticket_at(at(2026, 11, 23, 9, 0))
    # 1 savepoint, 1 the due tickets (locked), 1 their policies, 1 the policies' levels,
    # 1 the calendars, 1 their holidays, 1 the events' insert, 1 the tickets' update,
    # 1 the pending work's insert (one row per subscriber), 1 the savepoint's release.
    with django_assert_num_queries(10):
        assert escalation_sweep(now=at(2026, 11, 23, 10, 30)) == due


def test_it_tells_each_escalation_once_however_often_the_drain_runs(
    ticket_at,  # noqa: F811
    mof_agent,
    mof_head,
):
    ticket = ticket_at(at(2026, 11, 23, 9, 0))
    pending_work_drain(ids=pending_ids())  # what the ticket's own commit set off
    Ticket.objects.filter(pk=ticket.pk).update(assignee=mof_agent)  # someone to tell
    assert escalation_sweep(now=at(2026, 11, 23, 10, 30)) == 1
    # Not in the sweep's hot path: nobody is told yet.
    escalations = Notice.objects.filter(ticket=ticket, kind="escalation")
    assert not escalations.exists()
    batch = pending_ids()  # the ids the commit sends the task with
    assert batch

    assert drain_pending_work(batch) == len(batch)
    told = escalations.count()
    assert told >= 1
    assert drain_pending_work(batch) == 0  # the task delivered twice
    assert drain_pending_work() == 0  # beat's periodic run
    assert escalations.count() == told
    assert not PendingWork.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_it_tells_of_escalations_through_the_worker(
    ticket_at,  # noqa: F811
    mof_agent,
    mof_head,
    celery_worker_process,
):
    ticket = ticket_at(at(2026, 11, 23, 9, 0))
    Ticket.objects.filter(pk=ticket.pk).update(assignee=mof_agent)  # someone to tell
    assert escalation_sweep(now=at(2026, 11, 23, 10, 30)) == 1
    for _ in range(600):
        if not PendingWork.objects.exists():
            break
        assert celery_worker_process.poll() is None, "the worker exited"
        time.sleep(0.1)
    assert not PendingWork.objects.exists()
    assert Notice.objects.filter(ticket=ticket, kind="escalation").exists()
