"""Every page of the first journey is usable with assistive technology and on a small
screen: axe-core finds no problem, and nothing needs scrolling sideways at 320 px."""

import pytest

from tests.browser.conftest import JOURNEY_PAGES, axe_violations, describe_violations

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

# WCAG 2.2 success criterion 1.4.10 (Reflow): 320 CSS pixels, as a 1280 px screen at 400 %.
REFLOW_WIDTH_PX = 320


@pytest.mark.parametrize("journey_page", JOURNEY_PAGES, ids=lambda journey_page: journey_page.name)
def test_it_has_no_axe_violations(visit, journey_page):
    page = visit(journey_page).page

    violations = axe_violations(page)

    assert not violations, describe_violations(violations)


@pytest.mark.parametrize("journey_page", JOURNEY_PAGES, ids=lambda journey_page: journey_page.name)
def test_it_reflows_without_sideways_scrolling(visit, journey_page):
    page = visit(journey_page).page

    page.set_viewport_size({"width": REFLOW_WIDTH_PX, "height": 640})

    # Wide tables may scroll inside their own box (WCAG allows it); the page itself may not.
    page_width = page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= REFLOW_WIDTH_PX, (
        f"{journey_page.name} is {page_width} px wide on a {REFLOW_WIDTH_PX} px screen"
    )
