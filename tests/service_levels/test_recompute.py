"""A change to the rules moves the due times of the open tickets it concerns: in a task, in
bounded batches, one event per ticket that moved, and nothing the second time."""

import time
from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError

from agencies.services import agency_update
from core.models import PendingWork
from service_levels import services
from service_levels.models import BusinessCalendar, SLARecompute
from tests.service_levels.conftest import at, drain_recomputes, fresh
from tickets.escalation import escalation_sweep
from tickets.models import TicketEvent
from tickets.sla_recompute import sla_recompute_step

FRIDAY_AFTERNOON = at(2026, 12, 4, 16, 0)  # resolution due Monday 7 December, 11:00


def moves_of(ticket) -> list[dict]:
    events = TicketEvent.objects.filter(ticket=ticket, kind="sla", data__reason="rules changed")
    return list(events.values_list("data", flat=True))


def add_national_holiday(actor, day: date, name: str = "Day of mourning"):
    with time_machine.travel(at(2026, 12, 4, 16, 30), tick=False):
        return services.calendar_add_holiday(
            agency=None, date=day, name=name, recurs_yearly=False, actor=actor
        )


def test_it_pushes_a_due_time_when_a_national_holiday_falls_on_it(ticket_at, platform_admin):
    ticket = ticket_at(FRIDAY_AFTERNOON)
    assert ticket.resolution_due_at == at(2026, 12, 7, 11, 0)
    add_national_holiday(platform_admin, date(2026, 12, 7))
    drain_recomputes()
    moved = fresh(ticket)
    assert moved.resolution_due_at == at(2026, 12, 8, 11, 0)  # Tuesday
    assert moved.response_due_at == at(2026, 12, 4, 17, 0)  # still Friday: not on the holiday
    assert moved.next_escalation_at == at(2026, 12, 4, 17, 0)  # the response level
    [event] = moves_of(ticket)
    assert event["resolution_due_at"] == at(2026, 12, 8, 11, 0).isoformat()
    assert event["moved_from"]["resolution_due_at"] == at(2026, 12, 7, 11, 0).isoformat()
    recompute = SLARecompute.objects.get()
    assert (recompute.agency, recompute.state) == (None, "done")
    assert (recompute.checked, recompute.moved) == (1, 1)


def test_it_moves_nothing_the_second_time(ticket_at, platform_admin):
    ticket = ticket_at(FRIDAY_AFTERNOON)
    add_national_holiday(platform_admin, date(2026, 12, 7))
    drain_recomputes()
    before = fresh(ticket)
    services.sla_recompute_request(agency=None, reason="again")
    drain_recomputes()
    after = fresh(ticket)
    assert (after.response_due_at, after.resolution_due_at, after.next_escalation_at) == (
        before.response_due_at, before.resolution_due_at, before.next_escalation_at,
    )  # fmt: skip
    assert len(moves_of(ticket)) == 1
    again = SLARecompute.objects.order_by("pk").last()
    assert (again.state, again.checked, again.moved) == ("done", 1, 0)


def test_it_moves_only_the_agencys_tickets_for_its_own_holiday(ticket_at, moh_requester, mof_head):
    mof_ticket = ticket_at(FRIDAY_AFTERNOON)
    moh_ticket = ticket_at(FRIDAY_AFTERNOON, requester=moh_requester)
    services.calendar_add_holiday(
        agency=mof_ticket.agency, date=date(2026, 12, 7), name="Audit day",
        recurs_yearly=False, actor=mof_head,
    )  # fmt: skip
    drain_recomputes()
    assert fresh(mof_ticket).resolution_due_at == at(2026, 12, 8, 11, 0)
    assert fresh(moh_ticket).resolution_due_at == at(2026, 12, 7, 11, 0)
    assert SLARecompute.objects.get().checked == 1  # MOH's tickets were not even read


def test_it_moves_the_due_times_when_a_target_changes(ticket_at, platform_admin, p4):
    ticket = ticket_at(at(2026, 11, 23, 9, 0))  # Monday; resolution due 13:00
    services.sla_policy_save(
        agency=None, priority="P4", response_minutes=60, resolution_minutes=480,
        business_hours=True, pause_on_hold=False, actor=platform_admin,
    )  # fmt: skip
    drain_recomputes()
    assert fresh(ticket).resolution_due_at == at(2026, 11, 23, 17, 0)


def test_it_moves_the_due_times_when_the_open_hours_change(ticket_at, platform_admin):
    ticket = ticket_at(at(2026, 11, 23, 9, 0))  # resolution due 13:00
    services.calendar_set_hours(
        agency=None, time_zone="Africa/Monrovia",
        weekly_hours={day: [(9 * 60, 12 * 60)] for day in range(5)}, actor=platform_admin,
    )  # fmt: skip
    drain_recomputes()
    # 09:00-12:00 is open: three hours on Monday, the fourth on Tuesday.
    assert fresh(ticket).resolution_due_at == at(2026, 11, 24, 10, 0)


def test_it_keeps_a_breach_that_happened(ticket_at, platform_admin):
    ticket = ticket_at(at(2026, 11, 23, 9, 0))  # resolution due 13:00
    escalation_sweep(now=at(2026, 11, 23, 13, 30))
    assert fresh(ticket).resolution_breached is True
    services.sla_policy_save(
        agency=None, priority="P4", response_minutes=60, resolution_minutes=480,
        business_hours=True, pause_on_hold=False, actor=platform_admin,
    )  # fmt: skip
    drain_recomputes()
    after = fresh(ticket)
    assert after.resolution_due_at == at(2026, 11, 23, 17, 0)
    assert after.resolution_breached is True  # a breach that happened stays a breach
    assert after.response_breached is True


def test_it_leaves_paused_and_resolved_tickets_as_they_are(ticket_at, mof_agent, platform_admin):
    from tickets import services as ticket_services

    pending = ticket_at(FRIDAY_AFTERNOON)
    resolved = ticket_at(FRIDAY_AFTERNOON)
    with time_machine.travel(at(2026, 12, 4, 16, 10), tick=False):
        ticket_services.ticket_update(ticket=pending, actor=mof_agent, status="pending")
        ticket_services.ticket_update(ticket=resolved, actor=mof_agent, status="resolved")
    add_national_holiday(platform_admin, date(2026, 12, 7))
    drain_recomputes()
    assert moves_of(pending) == [] and moves_of(resolved) == []
    assert SLARecompute.objects.get().checked == 1  # the pending one; resolved are not open


def test_it_recomputes_in_bounded_batches(ticket_at, platform_admin):
    tickets = [ticket_at(FRIDAY_AFTERNOON) for _ in range(5)]
    add_national_holiday(platform_admin, date(2026, 12, 7))
    recompute = SLARecompute.objects.get()
    payload = {"recompute": recompute.pk, "after": 0}
    done = []
    for _ in range(4):
        done.append(sla_recompute_step(payload, batch=2))
        recompute.refresh_from_db()
        payload = {"recompute": recompute.pk, "after": recompute.after_ticket}
    assert done == [2, 2, 1, 0]  # the last step found the recompute done
    assert (recompute.state, recompute.checked, recompute.moved) == ("done", 5, 5)
    assert all(fresh(t).resolution_due_at == at(2026, 12, 8, 11, 0) for t in tickets)
    # Each full batch recorded the next as work of its own, for its own task.
    next_batches = PendingWork.objects.filter(topic=services.RECOMPUTE_TOPIC).exclude(
        payload__after=0
    )
    assert sorted(row.payload["after"] for row in next_batches) == [tickets[1].pk, tickets[3].pk]


@pytest.mark.parametrize("size", [2, 6])
def test_it_recomputes_a_batch_in_the_same_queries_whatever_its_size(
    ticket_at, platform_admin, size, django_assert_num_queries
):
    for _ in range(size):
        ticket_at(FRIDAY_AFTERNOON)
    add_national_holiday(platform_admin, date(2026, 12, 7))
    recompute = SLARecompute.objects.get()
    # 1 savepoint, 1 the recompute (locked), 1 the batch of tickets (locked), 1 calendars,
    # 1 holidays, 1 policies, 1 their levels, 1 the events' insert, 1 the tickets' update,
    # 1 the publication's pending work, 1 the next batch's pending work, 1 the recompute's
    # update, 1 the savepoint's release.
    with django_assert_num_queries(13):
        sla_recompute_step({"recompute": recompute.pk, "after": 0}, batch=size)


def test_it_does_a_batch_delivered_twice_once(ticket_at, platform_admin):
    ticket = ticket_at(FRIDAY_AFTERNOON)
    add_national_holiday(platform_admin, date(2026, 12, 7))
    payload = {"recompute": SLARecompute.objects.get().pk, "after": 0}
    assert sla_recompute_step(payload) == 1
    assert sla_recompute_step(payload) == 0
    assert len(moves_of(ticket)) == 1


def test_it_takes_several_changes_in_one_waiting_recompute(ticket_at, platform_admin):
    ticket_at(FRIDAY_AFTERNOON)
    add_national_holiday(platform_admin, date(2026, 12, 7))
    add_national_holiday(platform_admin, date(2026, 12, 8), name="Second day of mourning")
    assert SLARecompute.objects.count() == 1
    drain_recomputes()
    assert SLARecompute.objects.get().moved == 1


def test_it_records_no_recompute_for_a_refused_change(ticket_at, platform_admin, p4):
    ticket_at(FRIDAY_AFTERNOON)
    for response, resolution in ((0, 240), (60, 366 * 24 * 60 + 1)):
        with pytest.raises(ValidationError):
            services.sla_policy_save(
                agency=None, priority="P4", response_minutes=response,
                resolution_minutes=resolution, business_hours=True, pause_on_hold=False,
                actor=platform_admin,
            )  # fmt: skip
    with pytest.raises(ValidationError):
        services.calendar_add_holiday(
            agency=None, date=date(2026, 11, 29), name="Again", recurs_yearly=False,
            actor=platform_admin,
        )  # fmt: skip
    with pytest.raises(ValidationError):
        services.calendar_set_hours(
            agency=None, time_zone="Africa/Monrovia", weekly_hours={}, actor=platform_admin
        )
    assert not SLARecompute.objects.exists()
    assert not PendingWork.objects.filter(topic=services.RECOMPUTE_TOPIC).exists()
    p4.refresh_from_db()
    assert (p4.response_minutes, p4.resolution_minutes) == (60, 240)


def test_it_moves_tickets_to_the_agencys_own_new_policy(ticket_at, mof_head):
    ticket = ticket_at(at(2026, 11, 23, 9, 0))
    own = services.sla_policy_save(
        agency=ticket.agency, priority="P4", response_minutes=30, resolution_minutes=120,
        business_hours=True, pause_on_hold=False, actor=mof_head,
    )  # fmt: skip
    drain_recomputes()
    moved = fresh(ticket)
    assert moved.sla_policy == own
    assert (moved.response_due_at, moved.resolution_due_at) == (
        at(2026, 11, 23, 9, 30), at(2026, 11, 23, 11, 0),
    )  # fmt: skip


@pytest.mark.worker
@pytest.mark.xdist_group("worker")
def test_it_pushes_a_due_time_for_a_national_holiday_through_the_real_worker(
    celery_worker_process, ticket_at, platform_admin
):
    ticket = ticket_at(FRIDAY_AFTERNOON)
    add_national_holiday(platform_admin, date(2026, 12, 7))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and fresh(ticket).resolution_due_at != at(2026, 12, 8, 11):
        assert celery_worker_process.poll() is None, "the worker exited"
        time.sleep(0.2)
    assert fresh(ticket).resolution_due_at == at(2026, 12, 8, 11, 0)
    assert SLARecompute.objects.get().moved == 1
    assert len(moves_of(ticket)) == 1


# -- One time zone per agency ------------------------------------------------------------------


def test_it_counts_national_hours_in_the_agencys_own_time_zone(ticket_at, mof):
    mof.time_zone = "Africa/Lagos"  # an hour ahead of Monrovia
    mof.save(update_fields=["time_zone"])
    ticket = ticket_at(at(2026, 11, 23, 7, 0))  # 08:00 in Lagos: MOF opens
    assert ticket.response_due_at == at(2026, 11, 23, 8, 0)
    assert ticket.resolution_due_at == at(2026, 11, 23, 11, 0)


def test_it_sets_the_agencys_one_time_zone_from_its_calendar(mof, mof_head, national):
    services.calendar_set_hours(
        agency=mof, time_zone="Africa/Lagos", weekly_hours={0: [(480, 1020)]}, actor=mof_head
    )
    mof.refresh_from_db()
    assert mof.time_zone == "Africa/Lagos"
    assert BusinessCalendar.objects.get(agency=mof).time_zone == "Africa/Lagos"
    national.refresh_from_db()
    assert national.time_zone == "Africa/Monrovia"


def test_it_recomputes_when_the_agency_changes_its_time_zone(ticket_at, platform_admin, mof):
    BusinessCalendar.objects.create(agency=mof, time_zone=mof.time_zone)
    ticket = ticket_at(at(2026, 11, 23, 16, 30))  # half an hour on Monday, then Tuesday
    assert ticket.resolution_due_at == at(2026, 11, 24, 11, 30)
    agency_update(
        agency=mof, name=mof.name, kind=mof.kind, time_zone="Africa/Lagos", is_active=True,
        actor=platform_admin, domains=["mof.gov.test"],
    )  # fmt: skip
    drain_recomputes()
    # Open 08:00-17:00 in Lagos is 07:00-16:00 in Monrovia: closed at 16:30 on Monday, so
    # the four hours run from 07:00 on Tuesday.
    assert fresh(ticket).resolution_due_at == at(2026, 11, 24, 11, 0)
    assert BusinessCalendar.objects.get(agency=mof).time_zone == "Africa/Lagos"
    recompute = SLARecompute.objects.get()
    assert (recompute.agency, recompute.reason, recompute.state) == (mof, "time_zone", "done")
