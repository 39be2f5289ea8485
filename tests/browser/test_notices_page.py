"""The notices page in Chromium: compact, one line per notice on a desktop, and usable with
assistive technology at every width."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Kind, Notice
from tests.browser.conftest import (
    REPORTED_TICKET,
    JourneyPage,
    axe_violations,
    describe_violations,
)
from tests.browser.test_accessibility import REFLOW_WIDTH_PX
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture
def requester_notices(reported_ticket, mof_requester):
    """Two unread notices and two read ones about the reported ticket."""
    ticket = Ticket.objects.get(reference=REPORTED_TICKET)
    Notice.objects.filter(user=mof_requester).delete()
    now = timezone.now()
    for hours_ago, read in ((1, False), (5, False), (50, True), (70, True)):
        Notice.objects.create(
            user=mof_requester,
            kind=Kind.AGENT_REPLY,
            ticket=ticket,
            text=f"James Tarpeh replied on {ticket.reference}: {ticket.subject}",
            created_at=now - timedelta(hours=hours_ago),
            read_at=now - timedelta(hours=hours_ago - 1) if read else None,
        )


NOTICES = JourneyPage(
    "notices",
    "Notices",
    lambda page: page.goto("/notices/"),
    signed_in=True,
    persona="mof_requester",
    data=("requester_notices",),
)


def test_it_has_no_axe_violations(visit):
    page = visit(NOTICES).page

    violations = axe_violations(page)

    assert not violations, describe_violations(violations)


def test_it_shows_each_notice_on_one_line_on_a_desktop(visit):
    page = visit(NOTICES).page
    page.set_viewport_size({"width": 1280, "height": 800})

    rows = page.locator(".notice-list > li")
    assert rows.count() == 4
    line_height = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.notice-text')).lineHeight)"
    )
    for index in range(4):
        box = rows.nth(index).bounding_box()
        # One line of text and the row's padding; a second line would double it.
        assert box["height"] < 2 * line_height, f"notice {index} is {box['height']} px tall"


def test_it_makes_read_notices_quieter(visit):
    page = visit(NOTICES).page

    def colour(selector: str) -> str:
        return page.locator(selector).first.evaluate("e => getComputedStyle(e).color")

    assert colour(".notice:not(.notice-read) .notice-text") == "rgb(11, 12, 12)"
    assert colour(".notice-read .notice-text") == "rgb(72, 73, 73)"


def test_it_reflows_without_sideways_scrolling(visit):
    page = visit(NOTICES).page

    page.set_viewport_size({"width": REFLOW_WIDTH_PX, "height": 640})

    assert page.evaluate("document.documentElement.scrollWidth") <= REFLOW_WIDTH_PX
