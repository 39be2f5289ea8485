"""The calendar and service-level pages say how many open tickets a change moved, refuse bad
input with a clear message and nothing written, and answer 404 to anyone without the right."""

import pytest
from django.utils import timezone

from core.models import PendingWork
from service_levels.models import Holiday, SLAPolicy, SLARecompute
from service_levels.services import RECOMPUTE_TOPIC
from tests.service_levels.conftest import at, drain_recomputes, fresh

P4 = {
    "priority": "P4",
    "p4-response_hours": "1",
    "p4-response_minutes": "0",
    "p4-resolution_hours": "8",
    "p4-resolution_minutes": "0",
    "p4-counting": "business",
}
HOURS = {
    "time_zone": "Africa/Monrovia",
    **dict.fromkeys(("monday", "tuesday", "wednesday", "thursday", "friday"), "08:00-17:00"),
    "saturday": "",
    "sunday": "",
}


def page(response) -> str:
    return response.content.decode()


@pytest.fixture
def signed_in_admin(client, platform_admin):
    client.force_login(platform_admin)
    return client


@pytest.fixture
def signed_in_head(client, mof_head):
    client.force_login(mof_head)
    return client


def test_it_says_how_many_open_tickets_a_holiday_moved(signed_in_admin, ticket_at):
    ticket_at(at(2026, 12, 4, 16, 0))  # resolution due Monday 7 December
    ticket_at(at(2026, 12, 1, 9, 0))  # due the same Tuesday: not moved
    response = signed_in_admin.post(
        "/calendar/holidays/", {"holiday-date": "2026-12-07", "holiday-name": "Day of mourning"}
    )
    assert response.status_code == 302
    waiting = page(signed_in_admin.get("/calendar/"))
    assert "Open tickets are being brought up to date with the last change" in waiting
    drain_recomputes()
    done = page(signed_in_admin.get("/calendar/"))
    assert "the due times of 1 open ticket moved, of 2 checked" in done


def test_it_says_how_many_open_tickets_a_target_moved(signed_in_admin, ticket_at):
    ticket = ticket_at(at(2026, 11, 23, 9, 0))
    assert signed_in_admin.post("/service-levels/", P4).status_code == 302
    drain_recomputes()
    assert fresh(ticket).resolution_due_at == at(2026, 11, 23, 17, 0)
    text = page(signed_in_admin.get("/service-levels/"))
    assert "the due times of 1 open ticket moved, of 1 checked" in text


@pytest.mark.parametrize(
    "hours, message",
    [
        ("0", "Enter a first response target of at least one minute."),
        ("8785", "The resolution target can be at most 8784 hours."),
    ],
)
def test_it_refuses_a_target_of_zero_or_beyond_a_year(signed_in_admin, p4, hours, message):
    fields = {**P4, "p4-resolution_hours": hours, "p4-resolution_minutes": "0"}
    if hours == "0":
        fields = {**fields, "p4-response_hours": "0"}
    response = signed_in_admin.post("/service-levels/", fields)
    assert response.status_code == 200
    assert message in page(response)
    p4.refresh_from_db()
    assert (p4.response_minutes, p4.resolution_minutes) == (60, 240)
    assert not SLARecompute.objects.exists()


def test_it_refuses_a_target_a_minute_beyond_a_year(signed_in_admin, p4):
    fields = {**P4, "p4-resolution_hours": "8784", "p4-resolution_minutes": "1"}
    response = signed_in_admin.post("/service-levels/", fields)
    assert "The resolution target can be at most a year, 8784 hours." in page(response)
    assert SLAPolicy.objects.get(pk=p4.pk).resolution_minutes == 240


def test_it_refuses_a_holiday_on_a_date_already_a_holiday(signed_in_admin, national):
    response = signed_in_admin.post(
        "/calendar/holidays/", {"holiday-date": "2027-11-29", "holiday-name": "Again"}
    )
    assert response.status_code == 200
    assert "the national calendar already has a holiday on 29 November" in page(response)
    assert Holiday.objects.count() == 1
    assert not PendingWork.objects.filter(topic=RECOMPUTE_TOPIC).exists()


def test_it_refuses_hours_with_no_open_time_in_the_week(signed_in_admin, national):
    closed = {**HOURS, **dict.fromkeys(("monday", "tuesday", "wednesday", "thursday"), "")}
    closed["friday"] = ""
    response = signed_in_admin.post("/calendar/", closed)
    assert response.status_code == 200
    assert "a calendar that is never open would never count any time" in page(response)
    national.refresh_from_db()
    assert national.weekly_hours["0"] == [[480, 1020]]
    assert not SLARecompute.objects.exists()


def test_it_answers_404_to_an_edit_without_the_right(client, mof_agent, national, ticket_at):
    client.force_login(mof_agent)
    response = client.post(
        "/agencies/MOF/calendar/holidays/",
        {"holiday-date": "2026-12-07", "holiday-name": "Day off"},
    )
    assert response.status_code == 404
    assert client.post("/agencies/MOF/service-levels/", P4).status_code == 404
    assert Holiday.objects.count() == 1 and not SLARecompute.objects.exists()


def test_it_sets_the_agencys_one_time_zone_on_its_calendar_page(signed_in_head, mof, national):
    response = signed_in_head.post(
        "/agencies/MOF/calendar/", {**HOURS, "time_zone": "Africa/Lagos"}
    )
    assert response.status_code == 302
    mof.refresh_from_db()
    assert mof.time_zone == "Africa/Lagos"
    text = page(signed_in_head.get("/agencies/MOF/calendar/"))
    assert '<option value="Africa/Lagos" selected>' in text
    assert "it also sets the days of its dashboard and the times in its e-mail" in text


def test_it_shows_the_state_of_a_recompute_in_one_query(
    signed_in_head, mof, national, django_assert_num_queries
):
    SLARecompute.objects.create(
        agency=mof, reason="hours", state="done", requested_at=timezone.now(),
        finished_at=timezone.now(), checked=12, moved=3,
    )  # fmt: skip
    # 1 session, 1 user, 1 memberships, 1 unread notices (header), 1 agency,
    # 1 calendars (own and national), 1 holidays, 1 the latest recompute.
    with django_assert_num_queries(8):
        text = page(signed_in_head.get("/agencies/MOF/calendar/"))
    assert "the due times of 3 open tickets moved, of 12 checked" in text
