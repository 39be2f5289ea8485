"""The SLA clock on real tickets: due times, pauses, transfers, escalation and auto-close."""

import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from service_levels.models import BusinessCalendar, EscalationLevel, Holiday, SLAPolicy
from tickets import services
from tickets.escalation import auto_close_resolved, escalation_sweep
from tickets.models import Ticket, TicketHolding

MONROVIA = ZoneInfo("Africa/Monrovia")


def at(*parts):
    return datetime(*parts, tzinfo=MONROVIA)


@pytest.fixture
def government_service_levels(db):
    """Monday to Friday 08:00-17:00 in Monrovia; P4: answer in 1 h, solve in 4 business h."""
    calendar = BusinessCalendar.objects.create(agency=None, time_zone="Africa/Monrovia")
    Holiday.objects.create(
        calendar=calendar, date=date(2026, 11, 29), name="Tubman's Birthday", recurs_yearly=True
    )
    p4 = SLAPolicy.objects.create(priority="P4", response_minutes=60, resolution_minutes=240)
    EscalationLevel.objects.create(
        policy=p4, clock="resolution", percent=75, notify="assignee_or_team"
    )
    EscalationLevel.objects.create(
        policy=p4, clock="resolution", percent=100, notify="lead_and_admins", marks_breach=True
    )
    EscalationLevel.objects.create(
        policy=p4, clock="response", percent=100, notify="team", marks_breach=True
    )
    SLAPolicy.objects.create(
        priority="P1", response_minutes=30, resolution_minutes=240, business_hours=False
    )
    return p4


@pytest.fixture
def ticket_at(mof_requester, printer_category, open_ticket, government_service_levels):
    def ticket_at(moment, **fields):
        with time_machine.travel(moment, tick=False):
            return open_ticket(mof_requester, printer_category, **fields)

    return ticket_at


def fresh(ticket):
    return Ticket.objects.get(pk=ticket.pk)


def test_it_sets_due_times_in_business_hours(ticket_at):
    ticket = ticket_at(at(2026, 11, 20, 16, 30))  # a Friday
    assert ticket.sla_policy.priority == "P4"
    assert ticket.response_due_at == at(2026, 11, 23, 8, 30)  # Monday
    assert ticket.resolution_due_at == at(2026, 11, 23, 11, 30)


def test_it_counts_a_p1_around_the_clock(ticket_at):
    ticket = ticket_at(at(2026, 11, 21, 22, 0), impact="high", urgency="high")  # Saturday night
    assert ticket.response_due_at == at(2026, 11, 21, 22, 30)


def test_it_skips_a_national_holiday(ticket_at):
    ticket = ticket_at(at(2027, 11, 26, 16, 30))  # Friday; Monday 29 November is a holiday
    assert ticket.response_due_at == at(2027, 11, 30, 8, 30)


def test_it_pushes_due_times_out_by_the_time_spent_pending(ticket_at, mof_agent):
    ticket = ticket_at(at(2026, 11, 20, 16, 0))  # Friday; resolution due Monday 11:00
    with time_machine.travel(at(2026, 11, 20, 16, 30), tick=False):
        services.ticket_update(ticket=ticket, actor=mof_agent, status="pending")
    paused = fresh(ticket)
    assert paused.sla_paused_since == at(2026, 11, 20, 16, 30)
    assert paused.next_escalation_at is None
    with time_machine.travel(at(2026, 11, 23, 9, 0), tick=False):  # Monday morning
        services.ticket_reply(ticket=paused, author=paused.requester, body="Here is the photo.")
    resumed = fresh(ticket)
    # 30 business minutes used before the pause, 210 left from Monday 09:00.
    assert resumed.status == "open"
    assert resumed.resolution_due_at == at(2026, 11, 23, 12, 30)


def test_it_costs_nothing_to_be_pending_over_a_weekend(ticket_at, mof_agent):
    ticket = ticket_at(at(2026, 11, 20, 16, 0))
    due = ticket.resolution_due_at
    with time_machine.travel(at(2026, 11, 20, 17, 0), tick=False):  # closing time
        services.ticket_update(ticket=ticket, actor=mof_agent, status="pending")
    with time_machine.travel(at(2026, 11, 23, 8, 0), tick=False):  # opening time
        services.ticket_update(ticket=fresh(ticket), actor=mof_agent, status="open")
    assert fresh(ticket).resolution_due_at == due


def test_it_stops_the_response_clock_at_the_first_public_reply(ticket_at, mof_agent):
    ticket = ticket_at(at(2026, 11, 23, 9, 0))
    with time_machine.travel(at(2026, 11, 23, 9, 40), tick=False):
        services.ticket_reply(ticket=ticket, author=mof_agent, body="Looking.", as_agent=True)
    answered = fresh(ticket)
    assert answered.first_response_at == at(2026, 11, 23, 9, 40)
    assert answered.response_breached is False


def test_it_marks_a_late_first_response_as_breached(ticket_at, mof_agent):
    ticket = ticket_at(at(2026, 11, 23, 9, 0))
    with time_machine.travel(at(2026, 11, 23, 10, 30), tick=False):
        services.ticket_reply(ticket=ticket, author=mof_agent, body="Sorry.", as_agent=True)
    assert fresh(ticket).response_breached is True


def test_it_recomputes_from_the_start_when_the_priority_changes(ticket_at, mof_agent):
    ticket = ticket_at(at(2026, 11, 23, 9, 0))
    with time_machine.travel(at(2026, 11, 23, 9, 10), tick=False):
        services.ticket_update(ticket=ticket, actor=mof_agent, impact="high", urgency="high")
    changed = fresh(ticket)
    assert changed.priority == "P1"
    assert changed.response_due_at == at(2026, 11, 23, 9, 30)  # P1: 30 minutes from 09:00
    assert changed.events.filter(kind="sla", data__reason="priority changed").exists()


def test_it_keeps_the_start_across_a_transfer_and_records_each_agencys_share(
    ticket_at, mof_agent, nicta, government_service_levels
):
    ticket = ticket_at(at(2026, 11, 23, 9, 0))  # resolution due 13:00
    with time_machine.travel(at(2026, 11, 23, 11, 0), tick=False):
        services.ticket_transfer(
            ticket=ticket, to_agency=nicta, reason="Mail server", actor=mof_agent
        )
    moved = fresh(ticket)
    assert moved.created_at == at(2026, 11, 23, 9, 0)
    assert moved.sla_used_seconds == 2 * 3600
    assert moved.resolution_due_at == at(2026, 11, 23, 13, 0)  # unchanged: the wait goes on
    mof_share, nicta_share = TicketHolding.objects.filter(ticket=ticket)
    assert (mof_share.agency.code, mof_share.business_seconds) == ("MOF", 2 * 3600)
    assert (nicta_share.agency.code, nicta_share.ended_at) == ("NICTA", None)


def test_it_resumes_the_resolution_clock_on_reopening(ticket_at, mof_agent):
    ticket = ticket_at(at(2026, 11, 23, 9, 0))
    with time_machine.travel(at(2026, 11, 23, 10, 0), tick=False):
        services.ticket_update(ticket=ticket, actor=mof_agent, status="resolved")
    assert fresh(ticket).sla_running_since is None
    with time_machine.travel(at(2026, 11, 24, 9, 0), tick=False):
        services.ticket_reopen(ticket=fresh(ticket), actor=ticket.requester)
    reopened = fresh(ticket)
    assert reopened.sla_used_seconds == 3600
    assert reopened.resolution_due_at == at(2026, 11, 24, 12, 0)


# -- The escalation sweep --------------------------------------------------------------------


def test_it_escalates_at_75_percent_and_breaches_at_100(ticket_at):
    ticket = ticket_at(at(2026, 11, 23, 9, 0))
    assert ticket.next_escalation_at == at(2026, 11, 23, 10, 0)  # response 100% comes first
    assert escalation_sweep(now=at(2026, 11, 23, 12, 0)) == 2  # response 100%, resolution 75%
    swept = fresh(ticket)
    assert swept.response_breached is True
    assert swept.resolution_breached is False
    assert swept.next_escalation_at == at(2026, 11, 23, 13, 0)
    assert escalation_sweep(now=at(2026, 11, 23, 13, 0)) == 1
    assert fresh(ticket).resolution_breached is True
    assert fresh(ticket).next_escalation_at is None


def test_it_escalates_nothing_twice(ticket_at):
    ticket = ticket_at(at(2026, 11, 23, 9, 0))
    now = at(2026, 11, 23, 12, 0)
    assert escalation_sweep(now=now) == 2
    assert escalation_sweep(now=now) == 0
    assert ticket.events.filter(kind="escalation").count() == 2


def test_it_skips_the_response_level_once_answered(ticket_at, mof_agent):
    ticket = ticket_at(at(2026, 11, 23, 9, 0))
    with time_machine.travel(at(2026, 11, 23, 9, 30), tick=False):
        services.ticket_reply(ticket=ticket, author=mof_agent, body="On it.", as_agent=True)
    assert fresh(ticket).next_escalation_at == at(2026, 11, 23, 12, 0)
    escalation_sweep(now=at(2026, 11, 23, 12, 0))
    assert fresh(ticket).response_breached is False
    assert list(ticket.events.filter(kind="escalation").values_list("data__clock", flat=True)) == [
        "resolution"
    ]


def test_it_reads_only_tickets_that_are_due(ticket_at, django_assert_max_num_queries):
    for hour in range(9, 12):
        ticket_at(at(2026, 11, 23, hour, 0))
    # Nothing due yet, whatever the number of open tickets: the savepoint of the batch's
    # transaction, one indexed read that finds nothing, the savepoint's release.
    with django_assert_max_num_queries(3):
        assert escalation_sweep(now=at(2026, 11, 23, 9, 59)) == 0


def test_it_keeps_sweeping_when_one_ticket_fails(ticket_at, monkeypatch):
    first = ticket_at(at(2026, 11, 23, 9, 0))
    second = ticket_at(at(2026, 11, 23, 9, 5))
    from tickets import escalation

    real_apply = escalation._apply

    def failing_apply(ticket, level, now):
        if ticket.pk == first.pk:
            raise RuntimeError("notification backend down")
        return real_apply(ticket, level, now)

    monkeypatch.setattr(escalation, "_apply", failing_apply)
    now = at(2026, 11, 23, 10, 30)
    escalation_sweep(now=now)
    assert fresh(second).response_breached is True
    failed = fresh(first)
    assert failed.escalation_level == 0  # rolled back
    assert failed.next_escalation_at == now + escalation.RETRY_FAILED_AFTER


@pytest.mark.django_db(transaction=True)
def test_it_escalates_once_when_two_sweeps_run_at_once(
    mof_requester, printer_category, open_ticket, government_service_levels
):
    tickets = []
    for minute in range(0, 50, 5):
        with time_machine.travel(at(2026, 11, 23, 9, minute), tick=False):
            tickets.append(open_ticket(mof_requester, printer_category))
    applied, start = [], threading.Barrier(2)

    def sweep():
        try:
            start.wait()
            applied.append(escalation_sweep(now=at(2026, 11, 23, 10, 55), batch=3))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(applied) == 10  # each ticket's response level, once
    for ticket in tickets:
        assert fresh(ticket).events.filter(kind="escalation").count() == 1


# -- Auto-close ------------------------------------------------------------------------------


def test_it_closes_a_ticket_resolved_five_business_days_ago(ticket_at, mof_agent):
    ticket = ticket_at(at(2026, 11, 23, 9, 0))
    with time_machine.travel(at(2026, 11, 23, 10, 0), tick=False):  # Monday
        services.ticket_update(ticket=ticket, actor=mof_agent, status="resolved")
    assert auto_close_resolved(now=at(2026, 11, 27, 18, 0)) == 0  # four business days later
    assert auto_close_resolved(now=at(2026, 11, 30, 8, 30)) == 1  # the fifth began
    closed = fresh(ticket)
    assert closed.status == "closed"
    assert closed.events.filter(kind="status", data__new="closed").exists()


def test_it_does_not_close_a_ticket_the_requester_answered(ticket_at, mof_agent):
    ticket = ticket_at(at(2026, 11, 23, 9, 0))
    with time_machine.travel(at(2026, 11, 23, 10, 0), tick=False):
        services.ticket_update(ticket=ticket, actor=mof_agent, status="resolved")
    with time_machine.travel(at(2026, 11, 24, 10, 0), tick=False):
        services.ticket_reply(ticket=fresh(ticket), author=ticket.requester, body="Not fixed")
    assert auto_close_resolved(now=at(2026, 12, 7, 9, 0)) == 0
    assert fresh(ticket).status == "open"


def test_it_closes_nothing_twice(ticket_at, mof_agent):
    ticket = ticket_at(at(2026, 11, 23, 9, 0))
    with time_machine.travel(at(2026, 11, 23, 10, 0), tick=False):
        services.ticket_update(ticket=ticket, actor=mof_agent, status="resolved")
    later = at(2026, 12, 7, 9, 0)
    assert auto_close_resolved(now=later) == 1
    assert auto_close_resolved(now=later) == 0


def test_it_never_lets_due_times_fall_outside_open_hours(ticket_at):
    for moment in (at(2026, 11, 21, 3, 0), at(2026, 11, 23, 16, 59), at(2026, 12, 24, 23, 0)):
        ticket = ticket_at(moment)
        due = ticket.response_due_at.astimezone(MONROVIA)
        assert due.weekday() < 5 and 8 <= (due - timedelta(microseconds=1)).hour < 17


@pytest.mark.worker
@pytest.mark.xdist_group("worker")
def test_it_sweeps_through_the_real_worker(
    celery_worker_process, mof_requester, printer_category, open_ticket, government_service_levels
):
    import time

    from tickets.tasks import sweep_escalations

    with time_machine.travel(datetime.now(tz=MONROVIA) - timedelta(days=14), tick=False):
        ticket = open_ticket(mof_requester, printer_category)
    sweep_escalations.delay()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not fresh(ticket).resolution_breached:
        assert celery_worker_process.poll() is None, "the worker exited"
        time.sleep(0.2)
    assert fresh(ticket).resolution_breached is True
    assert fresh(ticket).events.filter(kind="escalation").count() == 3


def test_it_counts_a_stricter_priority_as_overdue_at_once(ticket_at, mof_agent):
    SLAPolicy.objects.create(priority="P3", response_minutes=30, resolution_minutes=60)
    ticket = ticket_at(at(2026, 11, 23, 9, 0))  # P4: resolution in 4 business hours
    with time_machine.travel(at(2026, 11, 23, 10, 40), tick=False):
        services.ticket_update(ticket=ticket, actor=mof_agent, impact="medium", urgency="medium")
    changed = fresh(ticket)
    assert changed.priority == "P3"
    assert changed.resolution_due_at == at(2026, 11, 23, 10, 40)  # already used up


def test_it_does_not_call_a_reply_late_for_time_spent_pending(ticket_at, mof_agent):
    ticket = ticket_at(at(2026, 11, 23, 9, 0))  # response due 10:00
    with time_machine.travel(at(2026, 11, 23, 9, 10), tick=False):
        services.ticket_update(ticket=ticket, actor=mof_agent, status="pending")
    with time_machine.travel(at(2026, 11, 23, 15, 0), tick=False):
        services.ticket_reply(ticket=fresh(ticket), author=mof_agent, body="Hi", as_agent=True)
    assert fresh(ticket).response_breached is False


def test_it_judges_the_resolution_when_resolved_from_pending(ticket_at, mof_agent):
    ticket = ticket_at(at(2026, 11, 23, 9, 0))  # resolution due 13:00
    with time_machine.travel(at(2026, 11, 23, 14, 0), tick=False):
        services.ticket_update(ticket=ticket, actor=mof_agent, status="pending")
    with time_machine.travel(at(2026, 11, 24, 9, 0), tick=False):
        services.ticket_update(ticket=fresh(ticket), actor=mof_agent, status="resolved")
    resolved = fresh(ticket)
    assert resolved.sla_paused_since is None
    assert resolved.resolution_breached is True
    assert resolved.response_breached is True  # never answered within the hour


def test_it_records_the_due_times_after_the_report(ticket_at):
    ticket = ticket_at(at(2026, 11, 23, 9, 0))
    assert list(ticket.events.values_list("kind", flat=True)[:2]) == ["created", "sla"]
