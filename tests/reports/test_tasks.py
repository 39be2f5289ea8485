"""The rollup tasks: through a real worker and Redis, and run twice to act once."""

import time
from datetime import date

import pytest

from core.models import PendingWork
from core.tasks import drain_pending_work
from reports import tasks
from reports.models import DailyRollup, ReportFact
from reports.services import SUBSCRIBER
from tests.reports.conftest import MONDAY, at
from tickets import services
from tickets.events import subscriber_topic


@pytest.mark.worker
@pytest.mark.xdist_group("worker")
def test_it_refreshes_the_rollups_on_the_real_worker_after_a_change_commits(
    celery_worker_process, service_levels, mof, mof_requester, printer_category
):
    ticket = services.ticket_create(
        requester=mof_requester, requester_agency=mof, category=printer_category,
        subject="Printer offline", description="It shows an error.", impact="low",
        urgency="medium",
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not DailyRollup.objects.filter(agency=mof).exists():
        assert celery_worker_process.poll() is None, "the worker exited"
        time.sleep(0.2)
    rollup = DailyRollup.objects.get(agency=mof)
    assert (rollup.created, rollup.category_id, rollup.priority) == (1, printer_category.pk, "P4")
    assert ReportFact.objects.filter(ticket=ticket, kind="created").count() == 1


def test_it_refreshes_a_ticket_once_however_often_the_task_runs(report_week, mof, mof_agent, act):
    ticket = report_week[2]  # MOF-3, reopened and open
    act(at(2026, 11, 18, 9, 0), services.ticket_update, ticket=ticket, actor=mof_agent,
        status="resolved")  # fmt: skip
    # The ids the commit sends the task with: those of the reports' rows it wrote.
    ids = list(
        PendingWork.objects.filter(topic=subscriber_topic(SUBSCRIBER)).values_list("pk", flat=True)
    )

    assert drain_pending_work(ids) == 1
    assert drain_pending_work(ids) == 0

    assert ReportFact.objects.filter(ticket=ticket, kind="resolved").count() == 2
    assert DailyRollup.objects.get(agency=mof, day=MONDAY).created == 4
    assert DailyRollup.objects.get(agency=mof, day=date(2026, 11, 18)).resolved == 1


def test_it_rebuilds_the_last_days_each_night(report_week, mof):
    DailyRollup.objects.all().delete()
    ReportFact.objects.all().delete()

    tasks.rebuild_recent_rollups.apply(kwargs={}).get()  # today: nothing happened lately
    assert not DailyRollup.objects.exists()

    from reports.services import rollups_rebuild_recent

    assert len(rollups_rebuild_recent(today=date(2026, 11, 17), days=1)) == 3
    assert DailyRollup.objects.get(agency=mof, day=MONDAY).created == 4
