"""Both dashboards in a real browser: axe-core finds no problem, wide or narrow, with figures
and with the empty state of a period without tickets."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, describe_violations
from tests.reports.conftest import act as act
from tests.reports.conftest import nicta_agent as nicta_agent
from tests.reports.conftest import printer_category as printer_category
from tests.reports.conftest import report_week as report_week
from tests.reports.conftest import service_levels as service_levels

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

WEEK = "?period=custom&start=2026-11-16&end=2026-11-20"
NARROW_WIDTH_PX = 320


def _check(page, heading: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    violations = axe_violations(page)
    assert not violations, f"{page.url}\n{describe_violations(violations)}"
    page.set_viewport_size({"width": NARROW_WIDTH_PX, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW_WIDTH_PX
    violations = axe_violations(page)
    assert not violations, f"{page.url} (narrow)\n{describe_violations(violations)}"


@pytest.mark.parametrize("query", [WEEK, "?period=7&start=&end="], ids=["week", "empty"])
def test_it_shows_the_agency_dashboard_without_axe_violations(
    open_session, report_week, mof_head, query
):
    page = open_session(user=mof_head).new_page()
    page.goto("/dashboard/" + query)
    _check(page, "Dashboard of Ministry of Finance")
    if query == WEEK:
        expect(page.get_by_role("img", name="Open tickets by status")).to_be_visible()


@pytest.mark.parametrize("query", [WEEK, "?period=7"], ids=["week", "empty"])
def test_it_shows_the_council_dashboard_without_axe_violations(
    open_session, report_week, council_member, query
):
    page = open_session(user=council_member).new_page()
    page.goto("/council/" + query)
    _check(page, "CIO Council dashboard")
    if query == WEEK:
        expect(page.get_by_role("table", name="Agencies side by side")).to_be_visible()


def test_it_shows_the_period_errors_in_a_summary(open_session, council_member):
    page = open_session(user=council_member).new_page()
    page.goto("/council/?period=custom&start=2026-11-20&end=2026-11-16")
    expect(page.get_by_role("alert")).to_contain_text("on or after the first day")
    _check(page, "CIO Council dashboard")
