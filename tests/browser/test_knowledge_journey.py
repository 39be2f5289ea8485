"""A requester about to report a problem finds the answer in a help article and reports
nothing: with JavaScript (articles appear as the subject is typed) and without (a "check
help first" step)."""

import pytest
from playwright.sync_api import expect

from knowledge.models import Deflection
from tests.browser.conftest import heading
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_it_finds_an_article_while_reporting_with_javascript(
    open_session, help_articles, mof_requester
):
    page = open_session(user=mof_requester).new_page()
    page.goto("/tickets/new/")
    # The step for pages without JavaScript hides: articles come as the subject is typed.
    expect(page.get_by_role("button", name="Check help first")).to_be_hidden()
    page.get_by_label("Subject").press_sequentially("printer paper jam", delay=20)
    suggestions = page.get_by_role("region", name="These articles may solve it")
    expect(suggestions.get_by_role("link", name="Printer shows “paper jam”")).to_be_visible()
    suggestions.get_by_role("button", name="This solved my problem").click()
    expect(page.get_by_text("Nothing was reported")).to_be_visible()
    assert heading(page) == "Printer shows “paper jam”"
    assert Deflection.objects.get().query == "printer paper jam"
    assert not Ticket.objects.exists()


def test_it_finds_an_article_while_reporting_without_javascript(
    open_session, help_articles, mof_requester
):
    page = open_session(user=mof_requester, javascript=False).new_page()
    page.goto("/tickets/new/")
    page.get_by_label("Check help first: what is the problem about?").fill("paper jam")
    page.get_by_role("button", name="Check help first").click()
    assert heading(page) == "Check help first"
    page.get_by_role("button", name="This solved my problem").click()
    expect(page.get_by_text("Nothing was reported")).to_be_visible()
    assert Deflection.objects.count() == 1
    assert not Ticket.objects.exists()


def test_it_carries_the_subject_on_when_help_does_not_answer_without_javascript(
    open_session, help_articles, mof_requester
):
    page = open_session(user=mof_requester, javascript=False).new_page()
    page.goto("/help/check/?subject=scanner+broken")
    page.get_by_role("link", name="Continue reporting the problem").click()
    assert heading(page) == "Report a problem"
    expect(page.get_by_label("Subject")).to_have_value("scanner broken")


def test_it_reads_an_article_in_french(open_session, help_articles):
    session = open_session()
    page = session.new_page()
    page.goto("/help/printer-paper-jam/?lang=fr")
    assert heading(page) == "L'imprimante affiche « bourrage papier »"
    page.goto("/help/printer-paper-jam/")
    assert heading(page) == "Printer shows “paper jam”"
