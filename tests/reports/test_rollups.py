"""The facts and rollups against the hand-checked week in conftest.py."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Sum

from reports import selectors, services
from reports.forms import Period
from reports.models import DailyRollup, ReportFact
from tests.reports.conftest import MONDAY, TUESDAY, at
from tickets.models import Ticket
from tickets.services import ticket_create, ticket_update

WEEK = Period(MONDAY, date(2026, 11, 20))


def _day_counts(agency, day):
    return DailyRollup.objects.filter(agency=agency, day=day).aggregate(
        **{name: Sum(name) for name in DailyRollup.COUNTS}
    )


def _facts(agency, kind):
    return sorted(
        ReportFact.objects.filter(agency=agency, kind=kind).values_list(
            "day", "business_seconds", "met_target"
        )
    )


def test_it_counts_each_day_for_the_agency_that_held_the_ticket(report_week, mof, nicta):
    assert _day_counts(mof, MONDAY) == {
        "created": 4, "resolved": 1, "reopened": 0, "transferred_in": 0, "transferred_out": 1,
        "response_met": 1, "response_breached": 1, "resolution_met": 1,
        "resolution_breached": 0,
    }  # fmt: skip
    assert _day_counts(mof, TUESDAY) == {
        "created": 0, "resolved": 2, "reopened": 1, "transferred_in": 0, "transferred_out": 0,
        "response_met": 0, "response_breached": 1, "resolution_met": 0,
        "resolution_breached": 1,
    }  # fmt: skip
    assert _day_counts(nicta, MONDAY) == {
        "created": 0, "resolved": 1, "reopened": 0, "transferred_in": 1, "transferred_out": 0,
        "response_met": 1, "response_breached": 0, "resolution_met": 1,
        "resolution_breached": 0,
    }  # fmt: skip


def test_it_times_first_responses_in_business_time(report_week, mof):
    assert _facts(mof, ReportFact.Kind.RESPONSE) == [
        (MONDAY, 1800, True),  # MOF-1: 09:00 to 09:30
        (MONDAY, 7200, False),  # MOF-2: 10:00 to 12:00
        (TUESDAY, 5400, False),  # MOF-3: Monday 16:00 to 17:00, Tuesday 08:00 to 08:30
    ]


def test_it_times_only_final_resolutions(report_week, mof):
    # MOF-3 was reopened: its resolution no longer stands.
    assert _facts(mof, ReportFact.Kind.RESOLUTION) == [
        (MONDAY, 7200, True),  # MOF-1: 09:00 to 11:00
        (TUESDAY, 32400, False),  # MOF-2: Monday 10:00 to 17:00, Tuesday 08:00 to 10:00
    ]


def test_it_judges_the_receiver_on_its_own_holding_after_a_transfer(report_week, nicta):
    transferred = Ticket.objects.get(pk=report_week[3].pk)
    # The requester's clock ran 3 h at MOF and 2 h at NICTA: past the 4 h target...
    assert transferred.sla_used_seconds == 5 * 3600
    assert transferred.resolution_breached is True
    assert transferred.response_breached is True
    # ...but NICTA answered 1 h and resolved 2 h into its own holding: both met.
    assert _facts(nicta, ReportFact.Kind.RESPONSE) == [(MONDAY, 3600, True)]
    assert _facts(nicta, ReportFact.Kind.RESOLUTION) == [(MONDAY, 7200, True)]


def test_it_computes_business_time_medians_and_90th_percentiles(report_week, mof):
    times = selectors.agency_dashboard(agency=mof, period=WEEK, now=at(2026, 11, 20, 12, 0))
    assert times.tables["times"].rows == [
        # 0.5 h, 1.5 h, 2 h: median 1.5 h; 90th: 1.5 + 0.8 x (2 - 1.5) = 1.9 h
        ["First response", 3, 1.5, 1.9],
        # 2 h and 9 h: median 5.5 h; 90th: 2 + 0.9 x 7 = 8.3 h
        ["Resolution", 2, 5.5, 8.3],
    ]


def test_it_computes_compliance_and_reopen_rate(report_week, mof):
    data = selectors.agency_dashboard(agency=mof, period=WEEK, now=at(2026, 11, 20, 12, 0))
    assert data.tables["sla"].rows == [
        ["First response", 1, 2, 33.3],
        ["Resolution", 1, 1, 50.0],
    ]
    assert data.tables["reopen"].rows == [[3, 1, 33.3]]
    assert data.tables["transfers"].rows == [["Out to", "National ICT Agency (NICTA)", 1]]


def test_it_recomputes_to_the_same_rows_when_run_twice(report_week, mof):
    before = sorted(DailyRollup.objects.values_list("agency", "day", *DailyRollup.COUNTS))
    facts_before = ReportFact.objects.count()
    services.rollup_refresh_tickets(ticket_ids=[t.pk for t in report_week])
    services.rollup_refresh_tickets(ticket_ids=[t.pk for t in report_week])
    assert sorted(DailyRollup.objects.values_list("agency", "day", *DailyRollup.COUNTS)) == before
    assert ReportFact.objects.count() == facts_before


def test_it_refreshes_the_facts_once_the_change_commits(
    report_week, mof, mof_agent, act, django_capture_on_commit_callbacks
):
    ticket = report_week[2]  # MOF-3, reopened and open
    wednesday = at(2026, 11, 18, 9, 0)
    with django_capture_on_commit_callbacks(execute=True):
        act(wednesday, resolve, ticket=ticket, actor=mof_agent)
    # The commit only queued the refresh for a worker.
    assert _day_counts(mof, date(2026, 11, 18))["resolved"] is None

    with time_machine.travel(wednesday, tick=False):  # the worker, a moment later
        assert services.rollups_refresh_pending() == 1
        assert _day_counts(mof, date(2026, 11, 18))["resolved"] == 1
        assert services.rollups_refresh_pending() == 0


def resolve(**arguments):
    return ticket_update(status="resolved", **arguments)


def test_it_rebuilds_a_range_that_drifted(report_week, mof):
    DailyRollup.objects.filter(agency=mof, day=MONDAY).update(created=99)
    DailyRollup.objects.create(agency=mof, day=date(2026, 11, 19), category_id=report_week[0]
                               .category_id, priority="P1", created=5)  # fmt: skip

    drifted = services.rollups_rebuild_range(start=MONDAY, end=date(2026, 11, 20))

    assert drifted == [(mof.pk, MONDAY), (mof.pk, date(2026, 11, 19))]
    assert _day_counts(mof, MONDAY)["created"] == 4
    assert not DailyRollup.objects.filter(day=date(2026, 11, 19)).exists()
    assert services.rollups_rebuild_range(start=MONDAY, end=date(2026, 11, 20)) == []


def test_it_rebuilds_a_range_from_the_command(report_week, mof, capsys):
    DailyRollup.objects.all().delete()
    ReportFact.objects.all().delete()

    call_command("rebuild_rollups", "--from", "2026-11-16", "--to", "2026-11-17")

    assert _day_counts(mof, MONDAY)["created"] == 4
    assert _day_counts(mof, TUESDAY)["resolved"] == 2
    assert "3 agency days had drifted" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-11-20", "2026-11-16", "must not be after"),
        ("2026-13-01", "2026-11-16", "is not a date"),
    ],
)
def test_it_refuses_a_bad_range_in_the_command(db, start, end, message):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match=message):
        call_command("rebuild_rollups", "--from", start, "--to", end)


def test_it_dates_facts_on_the_agencys_own_day(
    service_levels, mof, mof_requester, printer_category, act
):
    mof.time_zone = "Pacific/Auckland"  # UTC+13 in November
    mof.save(update_fields=["time_zone"])
    ticket = act(
        datetime(2026, 11, 16, 12, 0, tzinfo=UTC), ticket_create, requester=mof_requester,
        requester_agency=mof, category=printer_category, subject="Late", description="Late",
        impact="low", urgency="medium",
    )  # fmt: skip
    services.rollup_refresh_tickets(ticket_ids=[ticket.pk])
    assert _day_counts(mof, TUESDAY)["created"] == 1  # already Tuesday in Auckland
