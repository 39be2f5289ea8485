"""The 404-not-403 rule on every API endpoint: outside the selectors' door, every method on
every route with a ticket in it answers 404, with a token as with a session."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern

from helpdesk import api as api_urls
from knowledge.models import Audience
from knowledge.services import article_create, article_set_status
from tickets.attachments import attachments_check, ticket_create_with_attachments

OUTSIDERS = ["moh_head", "moh_agent", "council_member", "moh_requester"]
METHODS = ["get", "post", "put", "patch", "delete"]


@pytest.fixture
def mof_file(media, mof, mof_service_desk, printer_category, mof_requester, mof_head):
    ticket = ticket_create_with_attachments(
        requester=mof_requester, requester_agency=mof, category=printer_category,
        subject="Payslip missing", description="No payslip this month.",
        impact="low", urgency="low",
        files=attachments_check([SimpleUploadedFile("note.txt", b"payslip", "text/plain")]),
    )  # fmt: skip
    head = mof_head.memberships.get()
    article = article_create(
        actor=mof_head, membership=head, owner_agency=mof, language="en", title="MOF's payroll",
        body="For MOF's staff only.", audience=Audience.AGENCY,
    )  # fmt: skip
    article_set_status(article=article, actor=mof_head, membership=head, status="published")
    return {
        "reference": ticket.reference,
        "token": ticket.attachments.get().token,
        "article": article.slug,  # an article for MOF's staff only
    }


def api_routes_with_arguments(arguments: dict) -> list[tuple[str, str]]:
    routes = []
    for pattern in api_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        if pattern.pattern.converters:
            path = re.sub(
                r"<(?:\w+:)?(\w+)>", lambda m: str(arguments[m.group(1)]), str(pattern.pattern)
            )
            routes.append((pattern.name, f"/api/v1/{path}"))
    return routes


def test_it_walks_every_ticket_route(mof_file):
    names = {name for name, _url in api_routes_with_arguments(mof_file)}

    assert names == {
        "api-ticket-detail", "api-ticket-events", "api-ticket-comments",
        "api-ticket-transfer", "api-ticket-attachments", "api-ticket-attachment-download",
        "api-ticket-time-entries", "api-ticket-satisfaction", "api-article-detail",
    }  # fmt: skip


@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_it_answers_404_to_outsiders_with_a_token(api, request, mof_file, outsider, nicta):
    client = api(request.getfixturevalue(outsider))
    for name, url in api_routes_with_arguments(mof_file):
        for method in METHODS:
            body = {"agency": "NICTA", "reason": "x", "body": "x", "status": "closed"}
            response = getattr(client, method)(url, body, format="json")
            assert response.status_code == 404, f"{method.upper()} {url} ({name})"


@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_it_answers_404_to_outsiders_signed_in(client, request, mof_file, outsider):
    client.force_login(request.getfixturevalue(outsider))
    for name, url in api_routes_with_arguments(mof_file):
        for method in METHODS:
            response = getattr(client, method)(url, content_type="application/json")
            assert response.status_code == 404, f"{method.upper()} {url} ({name})"


def test_it_finds_the_ticket_for_its_own_agency(api, mof_file, mof_agent):
    # The control for the tests above: the routes are real, and found by the right people.
    client = api(mof_agent)
    for name, url in api_routes_with_arguments(mof_file):
        response = client.get(url)
        if response.streaming:  # reading to the end closes the downloaded file
            b"".join(response.streaming_content)
        assert response.status_code in (200, 405), f"GET {url} ({name})"


def test_it_does_not_list_other_agencies_tickets(api, mof_file, moh_agent, moh_head):
    for outsider in (moh_agent, moh_head):
        assert api(outsider).get("/api/v1/tickets/").json()["results"] == []
