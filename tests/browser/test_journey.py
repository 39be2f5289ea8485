"""The first journey: a head of IT signs in from the home page, sees who they are acting as,
and signs out; with JavaScript on and off."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import heading, sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _sign_in_from_home_and_out(page, *, email, password):
    page.goto("/")
    assert heading(page) == "IT help for every part of government"
    expect(page.get_by_test_id("current-role")).to_have_count(0)

    page.get_by_role("main").get_by_role("link", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    sign_in(page, email=email, password=password)

    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Comfort")
    expect(page.get_by_test_id("current-role")).to_have_text("Agency admin")
    expect(page.get_by_test_id("current-agency")).to_have_text("Ministry of Finance")

    sign_out(page)

    expect(page.locator(".notification-banner")).to_contain_text("You have signed out.")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "IT help for every part of government"
    )
    expect(page.get_by_test_id("current-role")).to_have_count(0)
    expect(page.locator("header").get_by_role("button", name="Sign out")).to_have_count(0)


def test_it_signs_in_shows_the_agency_and_role_and_signs_out(session, mof_head, password):
    page = session.new_page()

    _sign_in_from_home_and_out(page, email=mof_head.email, password=password)


def test_it_signs_in_and_out_without_javascript(open_session, mof_head, password):
    page = open_session(javascript=False).new_page()

    _sign_in_from_home_and_out(page, email=mof_head.email, password=password)
