"""An agency admin's settings: the service levels' compact table saves one row without
JavaScript, and a date typed in the wrong format gets a clear message."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_it_saves_one_priority_from_its_row_without_javascript(open_session, mof_head):
    page = open_session(user=mof_head, javascript=False).new_page()
    page.goto("/agencies/MOF/service-levels/")
    row = page.locator("tr#p1")
    row.get_by_label("Hours").first.fill("1")
    row.get_by_label("Minutes").first.fill("0")
    row.get_by_label("Hours").nth(1).fill("8")
    row.get_by_label("Minutes").nth(1).fill("0")
    row.get_by_role("button", name="Set this agency's own P1").click()
    expect(page.locator(".notification-banner")).to_contain_text("The P1 service level is saved.")
    expect(page.locator("tr#p1")).to_contain_text("This agency")


def test_it_explains_a_date_in_the_wrong_format(open_session, mof_head):
    page = open_session(user=mof_head, javascript=False).new_page()
    page.goto("/agencies/MOF/calendar/")
    page.get_by_label("Date").fill("07/26/2026")
    page.get_by_label("Name", exact=True).fill("Independence Day")
    page.get_by_role("button", name="Add holiday").click()
    expect(page.locator(".error-summary")).to_contain_text(
        "Enter a real date as year, month and day, such as 2026-07-26."
    )
