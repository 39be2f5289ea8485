"""The language switcher in the header turns the pages French and back to English."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, describe_violations

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


@pytest.fixture
def french_page(browser, live_server, transactional_db):
    """A fresh browser whose person reads French, and has never chosen on GovDesk."""
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    yield context.new_page()
    context.close()


def test_it_keeps_a_french_browser_in_french_after_signing_in(french_page, mof_requester, password):
    page = french_page
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    form = page.locator("main form")
    form.locator("input[name=login]").fill(mof_requester.email)
    form.locator("input[name=password]").fill(password)
    form.locator("button[type=submit]").click()

    expect(page.locator("html")).to_have_attribute("lang", "fr")
    banner = page.locator(".notification-banner").first
    expect(banner).to_contain_text("Opération effectuée")
    expect(banner).to_contain_text("Connexion avec")
    expect(page.locator("#language-switch")).to_have_value("fr")
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)
