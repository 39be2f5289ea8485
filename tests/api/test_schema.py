"""The published contract: the OpenAPI schema, its documentation page, and a schemathesis run
over every operation with the demo government, signed in with a token."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.openapi import from_wsgi
from schemathesis.specs.openapi.checks import response_schema_conformance

from accounts.models import User
from accounts.token_services import api_token_create
from helpdesk.wsgi import application
from tickets import attachments
from tickets.models import Ticket

# Examples per operation: enough to reach every parameter, and the whole run stays a matter
# of seconds (about ten operations) so that `make test` stays quick.
EXAMPLES_PER_OPERATION = 15


def test_it_publishes_the_schema_as_json(client):
    response = client.get("/api/v1/schema/?format=json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/tickets/{reference}/events/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["tokenAuth"]["name"] == "Authorization"


def test_it_serves_the_docs_from_govdesk_itself(client):
    page = client.get("/api/v1/docs/")
    script = client.get("/api/v1/docs/?script=")

    assert page.status_code == script.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "https://" not in html
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/v1/schema/" in script.content.decode()


def buffered_application(environ, start_response):
    """GovDesk's WSGI application, its answer read whole and closed as a WSGI server does (the
    test transport would leave a downloaded file open)."""
    result = application(environ, start_response)
    try:
        return [b"".join(result)]
    finally:
        result.close()


@pytest.fixture
def demo_government(transactional_db, settings, tmp_path):
    """The demo government with a few tickets, a file on one, and an agent's token."""
    settings.DEBUG = True
    settings.MEDIA_ROOT = tmp_path
    # Every generated request counts against the rate; none must be refused for it here.
    settings.GOVDESK_API_THROTTLE_RATE = "100000/minute"
    call_command("seed_demo", "--tickets", "8", verbosity=0)
    agent = User.objects.get(email="agent@mof.gov.test")
    ticket = Ticket.objects.filter(agency__code="MOF").order_by("pk").first()
    attachments.ticket_reply_with_attachments(
        ticket=ticket, author=agent, body="The error log", as_agent=True,
        files=attachments.attachments_check(
            [SimpleUploadedFile("error.txt", b"Error 41.2\n", "text/plain")]
        ),
    )  # fmt: skip
    _token, key = api_token_create(user=agent, name="Schemathesis")
    return {"key": key, "reference": ticket.reference, "token": ticket.attachments.get().token}


def test_it_keeps_to_its_schema_under_generated_requests(demo_government):
    config = SchemathesisConfig.from_dict(
        {
            "headers": {"Authorization": f"Token {demo_government['key']}"},
        }
    )
    schema = from_wsgi("/api/v1/schema/?format=json", buffered_application, config=config)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    failures = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            # Real objects in the paths, so that the operations do more than answer 404.
            for name in case.path_parameters or {}:
                case.path_parameters[name] = demo_government[name]
            case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])

        try:
            check()
        except Exception as error:  # noqa: BLE001 - collect every operation's failure
            failures.append(f"{operation.label}: {error}")
    assert not failures, "\n\n".join(failures)


def test_it_generates_the_schema_without_a_warning():
    from io import StringIO

    # Every operation, parameter and enum is described well enough for drf-spectacular to
    # have nothing to guess; --validate checks the result against the OpenAPI 3 meta-schema.
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=StringIO())
