"""The language switcher in the header turns the pages French and back to English."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _switch_language(page, code):
    switcher = page.locator("header form.language-switcher")
    switcher.get_by_role("combobox").select_option(code)
    switcher.get_by_role("button").click()


def test_it_switches_to_french_and_back(page):
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    _switch_language(page, "fr")

    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))  # the same page, in French
    expect(page.locator("#language-switch")).to_have_value("fr")

    _switch_language(page, "en")

    expect(page.locator("html")).to_have_attribute("lang", "en")
