"""Agency admins set their agency's working hours, holidays and auto-close; platform admins
also the national calendar. A refusal changes nothing: the old configuration stays in force."""

import re
from datetime import date

import pytest

from core.models import AuditEntry
from service_levels.models import BusinessCalendar, Holiday

OFFICE = {str(day): [[8 * 60, 17 * 60]] for day in range(5)}
HOURS = {
    "time_zone": "Africa/Monrovia",
    "monday": "08:00-12:00, 13:00-17:00",
    "tuesday": "08:00-17:00",
    "wednesday": "08:00-17:00",
    "thursday": "08:00-17:00",
    "friday": "08:00-13:00",
    "saturday": "",
    "sunday": "",
}


@pytest.fixture
def signed_in_head(client, mof_head):
    client.force_login(mof_head)
    return client


@pytest.fixture
def signed_in_admin(client, platform_admin):
    client.force_login(platform_admin)
    return client


@pytest.fixture
def national(db):
    calendar = BusinessCalendar.objects.create(
        agency=None, time_zone="Africa/Monrovia", weekly_hours=OFFICE
    )
    Holiday.objects.create(
        calendar=calendar, date=date(2025, 7, 26), name="Independence Day", recurs_yearly=True
    )
    return calendar


@pytest.fixture
def mof_calendar(mof):
    return BusinessCalendar.objects.create(
        agency=mof, time_zone="Africa/Monrovia", weekly_hours=OFFICE
    )


def page(response) -> str:
    return response.content.decode()


# -- Who may see and change what ---------------------------------------------------------------


def test_it_shows_an_agencys_calendar_in_a_fixed_number_of_queries(
    signed_in_head, national, mof_calendar, django_assert_num_queries
):
    Holiday.objects.create(calendar=mof_calendar, date=date(2026, 3, 9), name="Staff retreat")
    Holiday.objects.create(calendar=mof_calendar, date=date(2026, 4, 3), name="Audit day")
    # 1 session, 1 user, 1 memberships, 1 unread notices (header), 1 agency,
    # 1 calendars (own and national), 1 holidays of both, 1 the latest recompute.
    with django_assert_num_queries(8):
        response = signed_in_head.get("/agencies/MOF/calendar/")
    text = page(response)
    assert "Staff retreat" in text and "Audit day" in text
    assert "Independence Day" in text  # inherited, shown read-only
    assert text.count('name="holiday"') == 2  # a remove button for its own holidays only


def test_it_shows_the_national_calendar_in_a_fixed_number_of_queries(
    signed_in_admin, national, django_assert_num_queries
):
    Holiday.objects.create(calendar=national, date=date(2025, 12, 25), name="Christmas Day")
    # 1 session, 1 user, 1 memberships, 1 unread notices (header), 1 calendar, 1 holidays,
    # 1 the latest recompute.
    with django_assert_num_queries(7):
        response = signed_in_admin.get("/calendar/")
    text = page(response)
    assert "Christmas Day" in text and "Independence Day" in text
    assert text.count('name="holiday"') == 2


@pytest.mark.parametrize("persona", ["mof_head", "mof_agent", "council_member", "moh_head"])
def test_it_refuses_the_national_calendar_to_all_but_platform_admins(
    client, request, national, persona
):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/calendar/").status_code == 404
    assert client.post("/calendar/", {**HOURS, "monday": "09:00-10:00"}).status_code == 404
    response = client.post(
        "/calendar/holidays/", {"holiday-date": "2026-01-02", "holiday-name": "Extra"}
    )
    assert response.status_code == 404
    holiday = national.holidays.get()
    assert client.post("/calendar/holidays/remove/", {"holiday": holiday.pk}).status_code == 404
    national.refresh_from_db()
    assert national.weekly_hours == OFFICE
    assert national.holidays.count() == 1


def test_it_answers_404_to_the_agencys_own_agents(client, mof_agent):
    client.force_login(mof_agent)
    assert client.get("/agencies/MOF/calendar/").status_code == 404
    assert client.post("/agencies/MOF/calendar/", HOURS).status_code == 404
    assert not BusinessCalendar.objects.exists()


def test_it_answers_404_for_another_agency_or_an_unknown_code(signed_in_head, moh):
    assert signed_in_head.get("/agencies/MOH/calendar/").status_code == 404
    assert signed_in_head.get("/agencies/NOPE/calendar/").status_code == 404
    assert signed_in_head.post("/agencies/MOH/calendar/", HOURS).status_code == 404
    response = signed_in_head.post(
        "/agencies/MOH/calendar/holidays/", {"holiday-date": "2026-01-02", "holiday-name": "X"}
    )
    assert response.status_code == 404
    assert signed_in_head.post(
        "/agencies/MOH/calendar/auto-close/", {"auto_close_days": 9}
    ).status_code == 404  # fmt: skip
    moh.refresh_from_db()
    assert moh.auto_close_days == 5
    assert not BusinessCalendar.objects.exists()


def test_it_sends_people_who_are_signed_out_to_sign_in(client, mof):
    assert client.get("/agencies/MOF/calendar/").status_code == 302
    assert client.get("/calendar/").status_code == 302


def test_it_lets_a_platform_admin_set_any_agencys_hours(signed_in_admin, mof):
    response = signed_in_admin.post("/agencies/MOF/calendar/", HOURS)
    assert response.status_code == 302
    assert BusinessCalendar.objects.get(agency=mof).weekly_hours["0"] == [[480, 720], [780, 1020]]


# -- Open hours --------------------------------------------------------------------------------


def test_it_saves_open_hours_with_a_lunch_break_and_records_it(signed_in_head, mof, mof_head):
    response = signed_in_head.post("/agencies/MOF/calendar/", HOURS, follow=True)
    assert "The open hours are saved." in page(response)
    calendar = BusinessCalendar.objects.get(agency=mof)
    assert calendar.time_zone == "Africa/Monrovia"
    assert calendar.weekly_hours == {
        "0": [[480, 720], [780, 1020]],
        "1": [[480, 1020]],
        "2": [[480, 1020]],
        "3": [[480, 1020]],
        "4": [[480, 780]],
    }
    entry = AuditEntry.objects.get(action="calendar.hours_changed")
    assert (entry.actor, entry.agency) == (mof_head, mof)
    assert entry.data["after"]["weekly_hours"] == calendar.weekly_hours


def test_it_shows_the_saved_hours_as_text_again(signed_in_head, mof):
    signed_in_head.post("/agencies/MOF/calendar/", HOURS)
    text = page(signed_in_head.get("/agencies/MOF/calendar/"))
    assert 'value="08:00-12:00, 13:00-17:00"' in text
    assert 'value="08:00-13:00"' in text


def test_it_accepts_midnight_as_an_end_and_intervals_in_any_order(signed_in_head, mof):
    hours = {**HOURS, "saturday": "18:00-24:00, 06:00-10:00", "sunday": "0:00-24:00"}
    assert signed_in_head.post("/agencies/MOF/calendar/", hours).status_code == 302
    weekly = BusinessCalendar.objects.get(agency=mof).weekly_hours
    assert weekly["5"] == [[360, 600], [1080, 1440]]
    assert weekly["6"] == [[0, 1440]]


def test_it_records_nothing_when_nothing_changed(signed_in_head, mof):
    signed_in_head.post("/agencies/MOF/calendar/", HOURS)
    signed_in_head.post("/agencies/MOF/calendar/", HOURS)
    assert AuditEntry.objects.filter(action="calendar.hours_changed").count() == 1


@pytest.mark.parametrize(
    "change, message",
    [
        ({d: "" for d in HOURS if d != "time_zone"}, "Enter the open hours of at least one day"),
        ({"monday": "17:00-08:00"}, "17:00-08:00 does not start before it ends."),
        ({"monday": "09:00-09:00"}, "09:00-09:00 does not start before it ends."),
        ({"tuesday": "08:00-12:00, 11:00-17:00"}, "08:00-12:00 and 11:00-17:00 overlap."),
        ({"wednesday": "8am-5pm"}, "“8am-5pm” is not an interval of the day"),
        ({"wednesday": "08:00-24:30"}, "“08:00-24:30” is not an interval of the day"),
        ({"thursday": "08:00-12:60"}, "“08:00-12:60” is not an interval of the day"),
        ({"friday": "08:00"}, "“08:00” is not an interval of the day"),
        ({"time_zone": "Mars/Olympus"}, "Choose a time zone from the list"),
        ({"time_zone": ""}, "Choose a time zone."),
    ],
)
def test_it_refuses_bad_hours_and_keeps_the_old_ones(signed_in_head, mof_calendar, change, message):
    response = signed_in_head.post("/agencies/MOF/calendar/", {**HOURS, **change})
    assert response.status_code == 200
    text = page(response)
    assert "error-summary" in text
    assert message in text
    mof_calendar.refresh_from_db()
    assert (mof_calendar.time_zone, mof_calendar.weekly_hours) == ("Africa/Monrovia", OFFICE)
    assert not AuditEntry.objects.exists()


def test_it_links_each_error_to_its_field(signed_in_head, mof_calendar):
    response = signed_in_head.post("/agencies/MOF/calendar/", {**HOURS, "sunday": "noon"})
    assert 'href="#id_sunday"' in page(response)
    assert 'id="id_sunday"' in page(response)


def test_it_refuses_a_week_without_open_hours_at_the_service_too(mof, mof_head):
    from django.core.exceptions import ValidationError

    from service_levels.services import calendar_set_hours

    with pytest.raises(ValidationError, match="at least one day"):
        calendar_set_hours(agency=mof, time_zone="UTC", weekly_hours={0: []}, actor=mof_head)
    with pytest.raises(ValidationError, match="must not overlap"):
        calendar_set_hours(
            agency=mof, time_zone="UTC", weekly_hours={0: [(60, 600), (500, 700)]}, actor=mof_head
        )
    with pytest.raises(ValidationError, match="not a known time zone"):
        calendar_set_hours(
            agency=mof, time_zone="Mars/Olympus", weekly_hours={0: [(60, 600)]}, actor=mof_head
        )
    assert not BusinessCalendar.objects.exists()


def test_it_shows_the_national_hours_in_force_for_an_agency_without_its_own(signed_in_head, mof):
    BusinessCalendar.objects.create(
        agency=None, time_zone="Africa/Lagos", weekly_hours={"0": [[540, 900]]}
    )
    text = page(signed_in_head.get("/agencies/MOF/calendar/"))
    assert "MOF has no working hours of its own" in text
    assert 'value="09:00-15:00"' in text
    # The national hours, in the agency's own time zone: one zone per agency.
    assert '<option value="Africa/Monrovia" selected>' in text


def test_it_records_an_agency_taking_the_national_hours_as_its_own(signed_in_head, national, mof):
    hours = {**HOURS, "monday": "08:00-17:00", "friday": "08:00-17:00"}  # the national ones
    assert signed_in_head.post("/agencies/MOF/calendar/", hours).status_code == 302
    assert BusinessCalendar.objects.get(agency=mof).weekly_hours == OFFICE
    entry = AuditEntry.objects.get(action="calendar.hours_changed")
    assert entry.data["calendar_created"] is True


def test_it_says_what_making_the_national_calendar_changes(signed_in_admin):
    text = page(signed_in_admin.get("/calendar/"))
    assert "There is no national calendar yet" in text


def test_it_sets_the_national_hours(signed_in_admin, platform_admin):
    response = signed_in_admin.post("/calendar/", HOURS)
    assert response.status_code == 302
    calendar = BusinessCalendar.objects.get(agency=None)
    assert calendar.weekly_hours["4"] == [[480, 780]]
    entry = AuditEntry.objects.get(action="calendar.hours_changed")
    assert (entry.actor, entry.agency, entry.target) == (platform_admin, None, "national")


# -- Holidays ----------------------------------------------------------------------------------


def add_holiday(client, url="/agencies/MOF/calendar/holidays/", **fields):
    data = {"holiday-date": "2026-03-09", "holiday-name": "Staff retreat", **fields}
    return client.post(url, {k: v for k, v in data.items() if v is not None})


def test_it_adds_a_holiday_and_records_it(signed_in_head, mof, mof_calendar):
    response = add_holiday(signed_in_head)
    assert response.status_code == 302
    assert response.url == "/agencies/MOF/calendar/#holidays"
    holiday = mof_calendar.holidays.get()
    assert (holiday.date, holiday.name, holiday.recurs_yearly) == (
        date(2026, 3, 9), "Staff retreat", False,
    )  # fmt: skip
    entry = AuditEntry.objects.get(action="calendar.holiday_added")
    assert entry.agency == mof
    assert entry.data == {"date": "2026-03-09", "name": "Staff retreat", "recurs_yearly": False}


def test_it_gives_an_agency_the_hours_in_force_when_its_calendar_is_made_for_a_holiday(
    signed_in_head, mof
):
    BusinessCalendar.objects.create(
        agency=None, time_zone="Africa/Lagos", weekly_hours={"0": [[540, 900]]}
    )
    add_holiday(signed_in_head)
    calendar = BusinessCalendar.objects.get(agency=mof)
    # Adding a holiday must not change the agency's hours or time zone (its own).
    assert (calendar.time_zone, calendar.weekly_hours) == ("Africa/Monrovia", {"0": [[540, 900]]})
    assert AuditEntry.objects.get(action="calendar.holiday_added").data["calendar_created"]


def test_it_adds_a_yearly_holiday(signed_in_head, mof):
    add_holiday(signed_in_head, **{"holiday-recurs_yearly": "on"})
    assert Holiday.objects.get().recurs_yearly is True
    assert "9 March" in page(signed_in_head.get("/agencies/MOF/calendar/"))


@pytest.mark.parametrize(
    "existing, fields, message",
    [
        ((date(2026, 3, 9), False), {}, "MOF already has a holiday on 9 March 2026: Old."),
        ((date(2020, 3, 9), True), {}, "MOF already has a holiday on 9 March: Old."),
        (
            (date(2025, 3, 9), False),
            {"holiday-date": "2027-03-09", "holiday-recurs_yearly": "on"},
            "MOF already has a holiday on 9 March 2025: Old.",
        ),
    ],
)
def test_it_refuses_a_duplicate_holiday_date(
    signed_in_head, mof_calendar, existing, fields, message
):
    day, yearly = existing
    Holiday.objects.create(calendar=mof_calendar, date=day, name="Old", recurs_yearly=yearly)
    response = add_holiday(signed_in_head, **fields)
    assert response.status_code == 200
    assert "error-summary" in page(response)
    assert message in page(response)
    assert mof_calendar.holidays.count() == 1
    assert not AuditEntry.objects.exists()


def test_it_refuses_an_agency_holiday_on_a_national_holiday(signed_in_head, national):
    response = add_holiday(signed_in_head, **{"holiday-date": "2026-07-26"})
    assert "26 July is already a national holiday, Independence Day" in page(response)
    assert Holiday.objects.count() == 1


WRONG_DATE = "Enter a real date as year, month and day, such as 2026-07-26."


def test_it_asks_for_the_date_in_the_format_its_hint_shows(signed_in_head, mof):
    html = page(signed_in_head.get("/agencies/MOF/calendar/"))
    field = re.search(r'<input [^>]*name="holiday-date"[^>]*>', html).group(0)
    assert 'type="text"' in field
    assert "Such as 2026-07-26." in html


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"holiday-date": "2026-02-30"}, WRONG_DATE),
        ({"holiday-date": "next Tuesday"}, WRONG_DATE),
        ({"holiday-date": "07/26/2026"}, WRONG_DATE),  # a browser date picker's format
        ({"holiday-date": None}, "Enter the date of the holiday."),
        ({"holiday-name": "  "}, "Enter the name of the holiday."),
    ],
)
def test_it_refuses_a_holiday_without_a_date_or_name(signed_in_head, mof, fields, message):
    response = add_holiday(signed_in_head, **fields)
    assert response.status_code == 200
    assert message in page(response)
    assert not Holiday.objects.exists()
    assert not BusinessCalendar.objects.exists()


def test_it_removes_a_holiday_and_records_it(signed_in_head, mof, mof_calendar):
    holiday = Holiday.objects.create(calendar=mof_calendar, date=date(2026, 3, 9), name="Retreat")
    response = signed_in_head.post(
        "/agencies/MOF/calendar/holidays/remove/", {"holiday": holiday.pk}
    )
    assert response.status_code == 302
    assert not Holiday.objects.exists()
    entry = AuditEntry.objects.get(action="calendar.holiday_removed")
    assert (entry.agency, entry.data["name"]) == (mof, "Retreat")


def test_it_answers_404_for_a_national_or_another_agencys_holiday(signed_in_head, national, moh):
    moh_calendar = BusinessCalendar.objects.create(agency=moh)
    theirs = Holiday.objects.create(calendar=moh_calendar, date=date(2026, 3, 9), name="MOH day")
    inherited = national.holidays.get()
    for holiday in (theirs, inherited):
        response = signed_in_head.post(
            "/agencies/MOF/calendar/holidays/remove/", {"holiday": holiday.pk}
        )
        assert response.status_code == 404
    for bad in ("", "abc"):
        response = signed_in_head.post("/agencies/MOF/calendar/holidays/remove/", {"holiday": bad})
        assert response.status_code == 404
    assert Holiday.objects.count() == 2


def test_it_adds_and_removes_national_holidays(signed_in_admin, national):
    response = add_holiday(signed_in_admin, url="/calendar/holidays/")
    assert response.status_code == 302
    holiday = national.holidays.get(name="Staff retreat")
    assert AuditEntry.objects.get(action="calendar.holiday_added").agency is None
    signed_in_admin.post("/calendar/holidays/remove/", {"holiday": holiday.pk})
    assert list(national.holidays.values_list("name", flat=True)) == ["Independence Day"]


def test_it_answers_405_to_a_get_of_a_form_address(signed_in_head, mof):
    assert signed_in_head.get("/agencies/MOF/calendar/holidays/").status_code == 405
    assert signed_in_head.get("/agencies/MOF/calendar/auto-close/").status_code == 405


# -- Auto-close --------------------------------------------------------------------------------


def test_it_sets_the_auto_close_days_and_records_it(signed_in_head, mof):
    response = signed_in_head.post(
        "/agencies/MOF/calendar/auto-close/", {"auto_close_days": "10"}, follow=True
    )
    assert "Resolved tickets now close after 10 business days without a reply." in page(response)
    mof.refresh_from_db()
    assert mof.auto_close_days == 10
    entry = AuditEntry.objects.get(action="agency.auto_close_changed")
    assert entry.data == {"old": 5, "new": 10}


@pytest.mark.parametrize(
    "value, message",
    [
        ("0", "Enter a number of business days from 1 to 60."),
        ("61", "Enter a number of business days from 1 to 60."),
        ("-3", "Enter a number of business days from 1 to 60."),
        ("five", "Enter a whole number of business days, such as 5."),
        ("", "Enter a number of business days from 1 to 60."),
    ],
)
def test_it_refuses_auto_close_days_out_of_range(signed_in_head, mof, value, message):
    response = signed_in_head.post("/agencies/MOF/calendar/auto-close/", {"auto_close_days": value})
    assert response.status_code == 200
    assert "error-summary" in page(response)
    assert message in page(response)
    mof.refresh_from_db()
    assert mof.auto_close_days == 5
    assert not AuditEntry.objects.exists()


def test_it_offers_auto_close_only_on_an_agencys_page(signed_in_admin, mof):
    assert "auto_close_days" in page(signed_in_admin.get("/agencies/MOF/calendar/"))
    assert "auto_close_days" not in page(signed_in_admin.get("/calendar/"))


# -- Links -------------------------------------------------------------------------------------


def test_it_links_the_pages_from_the_settings_page_and_the_team_list(signed_in_head, mof):
    assert 'href="/agencies/MOF/settings/"' in page(signed_in_head.get("/"))
    settings_page = page(signed_in_head.get("/agencies/MOF/settings/"))
    assert 'href="/agencies/MOF/calendar/"' in settings_page
    assert 'href="/agencies/MOF/service-levels/"' in settings_page
    teams = page(signed_in_head.get("/agencies/MOF/teams/"))
    assert 'href="/agencies/MOF/calendar/"' in teams
    assert 'href="/agencies/MOF/service-levels/"' in teams


def test_it_links_the_government_pages_from_a_platform_admins_home(signed_in_admin):
    home = page(signed_in_admin.get("/"))
    assert 'href="/calendar/"' in home
    assert 'href="/service-levels/"' in home


def test_it_links_nothing_for_agents(client, mof_agent):
    client.force_login(mof_agent)
    assert "/calendar/" not in page(client.get("/"))
