"""Every route that takes an object of one agency answers 404 to another agency's people.

The walk covers every URL pattern of GovDesk's own apps; a new route with an id fails here
until it is added to OBJECT_ARGUMENTS and checked.
"""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver
from PIL import Image

from accounts.token_services import api_token_create
from incidents.models import ProposedIncident
from incidents.services import incident_declare
from knowledge.models import Audience
from knowledge.services import article_create, article_set_status
from mail.inbound import inbound_handle
from mail.models import InboundMailbox, Outbox
from notifications.models import Notice
from satisfaction.services import survey_token
from tests.factories import TeamFactory
from tickets.attachments import attachments_check, ticket_create_with_attachments
from tickets.models import Category
from tickets.services import ticket_update
from webhooks.models import WebhookEndpoint
from workspace.models import Scope
from workspace.services import canned_response_save, macro_save, saved_view_create

OWN_APPS = (
    "agencies",
    "accounts",
    "core",
    "helpdesk",
    "service_levels",
    "tickets",
    "mail",
    "notifications",
    "webhooks",
    "reports",
    "incidents",
    "workspace",
    "channels",
    "knowledge",
    "satisfaction",
)
# The gateways' callbacks belong to no agency: the secret in their path is their door, and
# every refusal is a 404 whoever asks (tests/channels).
SECRET_PATH_ROUTES = ("sms_callback", "ussd_callback")


def own_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            module = getattr(entry.urlconf_module, "__name__", "")
            if module.split(".")[0] in OWN_APPS:
                yield from own_patterns(entry, prefix + str(entry.pattern))
        elif (
            isinstance(entry, URLPattern)
            and entry.callback.__module__.split(".")[0] in OWN_APPS
            and entry.name not in SECRET_PATH_ROUTES
        ):
            yield prefix + str(entry.pattern), entry


def _png() -> bytes:
    """A small picture: its download and its preview are both behind the door."""
    content = io.BytesIO()
    Image.new("RGB", (40, 30), "navy").save(content, format="PNG")
    return content.getvalue()


@pytest.fixture
def mof_objects(mof, mof_agent, mof_head, mof_requester, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    team = TeamFactory(agency=mof, name="Service desk")
    category = Category.objects.create(name="Payroll", slug="mof-payroll", agency=mof)
    ticket = ticket_create_with_attachments(
        requester=mof_requester, requester_agency=mof, category=category,
        subject="Payslip missing", description="No payslip this month.",
        impact="low", urgency="low",
        files=attachments_check([SimpleUploadedFile("payslip.png", _png(), "image/png")]),
    )  # fmt: skip
    notice = Notice.objects.filter(user=mof_agent).first() or Notice.objects.create(
        user=mof_agent, kind="assigned", text="For the MOF agent", created_at=ticket.created_at
    )
    mailbox = InboundMailbox.objects.create(
        agency=mof, address="helpdesk@mof.gov.test", imap_host="127.0.0.1", username="helpdesk"
    )
    quarantined = inbound_handle(b"Subject: no sender here\r\n\r\nHello", mailbox=mailbox)
    outbox = Outbox.objects.create(
        to_address="x@mof.gov.test", dedupe_key="tenancy", created_at=ticket.created_at,
        state=Outbox.State.FAILED,
    )  # fmt: skip
    incident = incident_declare(
        actor=mof_agent, category=category, subject="Payroll down", description="No payslips."
    )
    proposal = ProposedIncident.objects.create(
        fingerprint="tenancy", basis="category", category=category, owner_agency=mof,
        first_reported_at=ticket.created_at, detected_at=ticket.created_at,
    )  # fmt: skip
    api_token, _key = api_token_create(user=mof_head, name="Tenancy walk")
    webhook = WebhookEndpoint(
        agency=mof, url="https://hooks.mof.gov.test/", events=["ticket.created"]
    )
    webhook.secret = "a signing secret of MOF's"
    webhook.save()
    mof_membership = mof_head.memberships.get()
    saved_view = saved_view_create(
        owner=mof_head, membership=mof_membership, name="Shared", query="view=all",
        scope=Scope.AGENCY,
    )  # fmt: skip
    response = canned_response_save(
        membership=mof_membership, scope=Scope.AGENCY, title="MOF's", body_en="Hello"
    )
    macro = macro_save(
        membership=mof_membership, scope=Scope.AGENCY, name="MOF's", response=response,
        status="pending",
    )  # fmt: skip
    article = article_create(
        actor=mof_head, membership=mof_membership, owner_agency=mof, language="en",
        title="MOF's payroll codes", body="E-12: ask HR.", audience=Audience.AGENCY,
    )  # fmt: skip
    article_set_status(
        article=article, actor=mof_head, membership=mof_membership, status="published"
    )
    resolved = ticket_create_with_attachments(
        requester=mof_requester, requester_agency=mof, category=category,
        subject="Payslip wrong", description="Wrong amount.", impact="low", urgency="low",
        files=[],
    )  # fmt: skip
    ticket_update(ticket=resolved, actor=mof_head, status="resolved")
    resolution = resolved.events.get(kind="status", data__new="resolved")
    return {
        "notice_id": notice.pk,
        "message_id": quarantined.pk,
        "outbox_id": outbox.pk,
        "code": "MOF",
        "team_id": team.pk,
        "membership_id": mof_agent.memberships.get().pk,
        "reference": ticket.reference,
        "token": ticket.attachments.get().token,
        "slug": category.slug,
        "incident": incident.reference,  # a major incident of MOF's own payroll service
        "proposal_id": proposal.pk,
        "table": "status",  # a dashboard export: /dashboard/export/MOF/status.csv
        "token_id": api_token.pk,
        "webhook_id": webhook.pk,
        "view_id": saved_view.pk,
        "response_id": response.pk,
        "macro_id": macro.pk,
        "article": article.slug,  # an article for MOF's staff only
        "survey_token": survey_token(resolution),  # the requester's link: tests/satisfaction
    }


def routes_with_arguments(objects):
    for route, pattern in own_patterns():
        arguments = list(pattern.pattern.converters)
        if arguments:
            url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(objects[m.group(1)]), route)
            yield pattern.name, "/" + url


def test_it_knows_every_argument_of_every_route(mof_objects):
    names = {name for _, pattern in own_patterns() for name in pattern.pattern.converters}
    assert names <= set(mof_objects), f"add {names - set(mof_objects)} to mof_objects"


@pytest.mark.parametrize("outsider", ["moh_head", "moh_agent", "council_member", "moh_requester"])
def test_it_answers_404_to_outsiders_on_every_route_with_an_id(
    client, request, mof_objects, outsider
):
    client.force_login(request.getfixturevalue(outsider))
    checked = []
    for name, url in routes_with_arguments(mof_objects):
        # A POST-only route may refuse the GET before it looks anything up.
        assert client.get(url).status_code in (404, 405), f"GET {url} ({name})"
        assert client.post(url, {"name": "x", "role": "agent"}).status_code == 404, url
        checked.append(name)
    assert {"agency_edit", "team_list", "team_edit", "member_list", "member_change"} <= set(checked)


def test_it_serves_the_same_routes_to_the_agencys_own_admin(client, mof_head, mof_objects):
    # The control for the test above: the walk reaches real pages, not unknown URLs.
    client.force_login(mof_head)
    for name, url in routes_with_arguments(mof_objects):
        # A satisfaction link is its requester's alone: tests/satisfaction shows it to them.
        if name != "agency_edit" and not url.startswith("/satisfaction/"):
            response = client.get(url)
            if response.streaming:  # reading to the end closes the downloaded file
                b"".join(response.streaming_content)
            assert response.status_code in (200, 405), f"GET {url} ({name})"


def test_it_answers_every_route_without_a_500_when_signed_out(client, mof_objects):
    for _, url in routes_with_arguments(mof_objects):
        if url.startswith("/satisfaction/"):
            # The e-mailed link works without signing in: its signature is its door.
            assert client.get(url).status_code == 200, url
            continue
        # The API has no sign-in page to send anyone to: it answers 401.
        assert client.get(url).status_code == (401 if url.startswith("/api/") else 302), url
    for route, pattern in own_patterns():
        if not pattern.pattern.converters:
            # /metrics stays off (404) until METRICS_TOKEN is set: tests/ops/test_metrics.py.
            allowed = (404,) if route == "metrics" else (200, 302, 401, 405, 503)
            assert client.get("/" + route).status_code in allowed, route
