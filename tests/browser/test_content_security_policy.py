"""The strict Content-Security-Policy (django-csp, nonces) blocks nothing GovDesk itself
sends: Chromium reports every blocked script, style or image on the console."""

import pytest

from tests.browser.conftest import JOURNEY_PAGES, journey_page

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _csp_reports(console: list[str]) -> list[str]:
    return [message for message in console if "Content Security Policy" in message]


@pytest.mark.parametrize("journey_page", JOURNEY_PAGES, ids=lambda journey_page: journey_page.name)
def test_it_raises_no_content_security_policy_violation(visit, journey_page):
    session = visit(journey_page).session

    reports = _csp_reports(session.console)

    assert not reports, "\n".join(reports)


def test_it_notices_a_violation_when_there_is_one(visit):
    """Guards the test above against listening to the wrong thing."""
    visit_ = visit(journey_page("home-signed-out"))

    # An inline script without the request's nonce: the policy must refuse it.
    with visit_.page.expect_console_message(lambda message: "Security Policy" in message.text):
        visit_.page.evaluate(
            "document.head.append(Object.assign(document.createElement('script'), "
            "{textContent: 'window.injected = true'}))"
        )

    assert visit_.page.evaluate("window.injected") is None
    assert _csp_reports(visit_.session.console)
