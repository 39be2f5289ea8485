"""Escalation levels are known by their id: a policy edited while tickets are mid-way
through it neither skips nor repeats a level."""

from service_levels import services
from service_levels.models import EscalationLevel
from tests.service_levels.conftest import at, drain_recomputes, fresh
from tickets.escalation import escalation_sweep
from tickets.models import TicketEvent

# P4 from 09:00 on a Monday: the response level at 10:00, the resolution's 75 % at 12:00 and
# its 100 % (the breach) at 13:00.
MONDAY = at(2026, 11, 23, 9, 0)


def reached(ticket) -> list[tuple[str, int]]:
    events = TicketEvent.objects.filter(ticket=ticket, kind="escalation").order_by("pk")
    return [(e.data["clock"], e.data["percent"]) for e in events]


def test_it_reaches_a_level_added_ahead_and_skips_none_after_one_removed_behind(
    ticket_at, p4, platform_admin
):
    ticket = ticket_at(MONDAY)
    escalation_sweep(now=at(2026, 11, 23, 12, 5))
    assert reached(ticket) == [("response", 100), ("resolution", 75)]
    services.escalation_level_add(
        policy=p4, clock="resolution", percent=90, notify="team", actor=platform_admin
    )
    services.escalation_level_remove(
        level=p4.levels.get(clock="resolution", percent=75), actor=platform_admin
    )
    drain_recomputes()
    assert fresh(ticket).next_escalation_at == at(2026, 11, 23, 12, 36)  # 90 % of 4 h
    escalation_sweep(now=at(2026, 11, 23, 12, 40))
    escalation_sweep(now=at(2026, 11, 23, 13, 30))
    assert reached(ticket) == [
        ("response", 100),
        ("resolution", 75),
        ("resolution", 90),
        ("resolution", 100),
    ]
    assert fresh(ticket).resolution_breached is True
    assert fresh(ticket).next_escalation_at is None


def test_it_does_not_repeat_a_level_when_one_is_added_behind(ticket_at, p4, platform_admin):
    ticket = ticket_at(MONDAY)
    escalation_sweep(now=at(2026, 11, 23, 12, 5))
    services.escalation_level_add(
        policy=p4, clock="resolution", percent=50, notify="team", actor=platform_admin
    )
    drain_recomputes()
    escalation_sweep(now=at(2026, 11, 23, 12, 10))
    escalation_sweep(now=at(2026, 11, 23, 12, 20))
    # The new level's moment had passed: it is taken once, late; the others not again.
    assert reached(ticket) == [("response", 100), ("resolution", 75), ("resolution", 50)]
    assert fresh(ticket).escalation_level == 3


def test_it_does_not_reach_a_level_removed_ahead(ticket_at, p4, platform_admin):
    ticket = ticket_at(MONDAY)
    escalation_sweep(now=at(2026, 11, 23, 10, 5))
    services.escalation_level_remove(
        level=p4.levels.get(clock="resolution", percent=75), actor=platform_admin
    )
    drain_recomputes()
    assert fresh(ticket).next_escalation_at == at(2026, 11, 23, 13, 0)
    escalation_sweep(now=at(2026, 11, 23, 13, 5))
    assert reached(ticket) == [("response", 100), ("resolution", 100)]


def test_it_names_the_level_reached_in_its_event(ticket_at, p4):
    ticket = ticket_at(MONDAY)
    escalation_sweep(now=at(2026, 11, 23, 10, 5))
    level = EscalationLevel.objects.get(policy=p4, clock="response")
    event = TicketEvent.objects.get(ticket=ticket, kind="escalation")
    assert event.data["level_id"] == level.pk
    assert fresh(ticket).escalated_level_ids == [level.pk]
