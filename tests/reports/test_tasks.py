"""The rollup tasks: through a real worker and Redis, and run twice to act once."""

import time
from datetime import date

import pytest

from reports import tasks
from reports.models import DailyRollup, ReportFact
from tests.reports.conftest import MONDAY
from tickets import services


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


def test_it_refreshes_a_ticket_once_however_often_the_task_runs(report_week, mof):
    tasks.refresh_ticket_rollups(report_week[0].pk)
    tasks.refresh_ticket_rollups(report_week[0].pk)
    assert ReportFact.objects.filter(ticket=report_week[0], kind="created").count() == 1
    assert DailyRollup.objects.get(agency=mof, day=MONDAY).created == 4


def test_it_rebuilds_the_last_days_each_night(report_week, mof):
    DailyRollup.objects.all().delete()
    ReportFact.objects.all().delete()

    tasks.rebuild_recent_rollups.apply(kwargs={}).get()  # today: nothing happened lately
    assert not DailyRollup.objects.exists()

    from reports.services import rollups_rebuild_recent

    assert len(rollups_rebuild_recent(today=date(2026, 11, 17), days=1)) == 3
    assert DailyRollup.objects.get(agency=mof, day=MONDAY).created == 4
