"""The API's pages in a real browser: its documentation works under the strict policy with
GovDesk's own files only, and the token and webhook pages pass axe-core."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, describe_violations, heading
from webhooks.services import webhook_create

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _csp_reports(console: list[str]) -> list[str]:
    return [message for message in console if "Content Security Policy" in message]


def test_it_renders_the_api_docs_with_no_policy_violation(open_session):
    session = open_session()
    page = session.new_page()

    page.goto("/api/v1/docs/")

    # Swagger UI fetched the schema and drew the operations.
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    expect(page.get_by_text("/api/v1/tickets/{reference}/events/").first).to_be_visible()
    assert not _csp_reports(session.console), "\n".join(session.console)
    # open_session checks at teardown that nothing was asked of another server.


def test_it_makes_a_token_on_an_accessible_page(open_session, mof_head):
    page = open_session(user=mof_head).new_page()
    page.goto("/profile/")
    page.get_by_role("link", name="Let other systems use GovDesk with your rights").click()
    assert heading(page) == "API tokens"

    page.get_by_label("Name").fill("Payroll monitor")
    page.get_by_label("In 30 days").check()
    page.get_by_role("button", name="Make token").click()

    expect(page.get_by_role("status")).to_contain_text("Your new token")
    assert len(page.locator("#new-api-key").inner_text().strip()) >= 43
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)


def test_it_shows_accessible_webhook_pages(open_session, mof_head, mof, settings):
    settings.GOVDESK_WEBHOOK_ALLOW_PRIVATE_URLS = True
    endpoint, _secret = webhook_create(
        agency=mof, url="http://127.0.0.1:9/hook", events=["ticket.created"], actor=mof_head
    )
    page = open_session(user=mof_head).new_page()

    for path in ("/agencies/MOF/webhooks/", f"/agencies/MOF/webhooks/{endpoint.pk}/"):
        page.goto(path)
        violations = axe_violations(page)
        assert not violations, f"{path}: {describe_violations(violations)}"

    page.goto("/agencies/MOF/webhooks/")
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)
