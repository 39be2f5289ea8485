"""The published contract: the OpenAPI schema, its documentation page, and a schemathesis run
with every phase (examples, coverage, fuzzing, stateful) and every check against GovDesk
served on loopback with the demo government, signed in with an agent's token."""

import json
import socket
import subprocess
import sys

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread

from accounts.models import User
from accounts.token_services import api_token_create
from agencies.models import Agency, Team
from tickets import attachments
from tickets.models import Attachment, Category, Ticket

# Examples per operation and phase: enough to reach every parameter and rule, with the whole
# run (a dozen operations, every phase) well within `make test`'s time.
EXAMPLES_PER_OPERATION = 20
# A fixed seed: a finding shows again on the next run, until it is mended.
SEED = 1
RUN_TIMEOUT_SECONDS = 170
# Operations that may refuse a request the schema allows, and with what. The schema cannot say
# which categories, people, agencies, teams or files exist, nor which changes the ticket's
# state allows: a well-formed request naming the wrong one is a 400. An `Idempotency-Key` is
# one request's: a generated key drawn again for another body is refused with 422, as
# documented.
POSITIVE_BUT_REFUSED = [
    (["tickets_create", "tickets_transfer_create", "tickets_attachments_create"], [400, 422]),
    (["tickets_partial_update"], [400]),
    (["tickets_comments_create"], [422]),
    # An unknown service or a slug taken; an edit a status cannot take.
    (["articles_create", "articles_partial_update"], [400]),
    # A ticket not resolved yet, a link for another resolution.
    (["tickets_satisfaction_create"], [400]),
    # Time on a closed ticket; an Idempotency-Key used before for another body.
    (["tickets_time_entries_create"], [400, 422]),
]


def test_it_publishes_the_schema_as_json(client):
    response = client.get("/api/v1/schema/?format=json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/tickets/{reference}/events/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["tokenAuth"]["name"] == "Authorization"


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield f"{method.upper()} {path}", operation


def test_it_documents_every_answer_an_operation_can_give(client):
    schema = client.get("/api/v1/schema/?format=json").json()

    for label, operation in _operations(schema):
        answers = set(operation["responses"])
        assert {"400", "401", "406", "429"} <= answers, label
        if "{reference}" in label:
            assert "404" in answers, label
        if label.startswith(("POST", "PATCH")):
            assert {"403", "413", "415"} <= answers, label
        if "Idempotency-Key" in {p["name"] for p in operation.get("parameters", [])}:
            assert "422" in answers, label
    ticket = schema["paths"]["/api/v1/tickets/{reference}/"]["patch"]["responses"]
    assert ticket["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorDetail"
    }


def test_it_documents_the_types_a_download_comes_in(client):
    schema = client.get("/api/v1/schema/?format=json").json()

    download = schema["paths"]["/api/v1/tickets/{reference}/attachments/{token}/"]["get"]
    types = set(download["responses"]["200"]["content"])
    assert {"image/png", "application/pdf", "text/plain"} <= types
    assert "application/octet-stream" not in types


def test_it_documents_the_receipt_for_a_call_logged_for_another_agency(client):
    schema = client.get("/api/v1/schema/?format=json").json()

    created = schema["paths"]["/api/v1/tickets/"]["post"]["responses"]["201"]
    assert created["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TicketCreated"
    }
    receipt = schema["components"]["schemas"]["TicketLogged"]
    assert set(receipt["properties"]) == {"logged_as", "handled_by"}
    assert receipt["additionalProperties"] is False


def test_it_serves_the_docs_from_govdesk_itself(client):
    page = client.get("/api/v1/docs/")
    script = client.get("/api/v1/docs/?script=")

    assert page.status_code == script.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "https://" not in html
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/v1/schema/" in script.content.decode()


@pytest.fixture
def demo_government(transactional_db, settings, tmp_path):
    """The demo government with a file on one ticket, and an agent's token."""
    settings.MEDIA_ROOT = tmp_path / "media"
    # Every generated request counts against the rate; none must be refused for it here.
    settings.GOVDESK_API_THROTTLE_RATE = "1000000/minute"
    call_command("seed_demo", "--tickets", "8", "--force", verbosity=0)
    agent = User.objects.get(email="agent@mof.gov.test")
    ticket = Ticket.objects.filter(agency__code="MOF").order_by("pk").first()
    attachments.ticket_reply_with_attachments(
        ticket=ticket, author=agent, body="The error log", as_agent=True,
        files=attachments.attachments_check(
            [SimpleUploadedFile("error.txt", b"Error 41.2\n", "text/plain")]
        ),
    )  # fmt: skip
    _token, key = api_token_create(user=agent, name="Schemathesis")
    return key


class PromptWSGIServer(ThreadedWSGIServer):
    """Django's test server, with Nagle's algorithm off on each connection: the handler writes
    an answer's status, headers and body separately, and each small write after the first
    would wait for the client's delayed acknowledgement (40 ms a request on Linux)."""

    def get_request(self):
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address


class PromptServerThread(LiveServerThread):
    server_class = PromptWSGIServer


@pytest.fixture
def served(demo_government):
    """GovDesk on a free loopback port, reading the test database."""
    server = PromptServerThread("127.0.0.1", StaticFilesHandler)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    yield f"http://127.0.0.1:{server.port}"
    server.terminate()


def _toml(value) -> str:
    # JSON's strings, numbers and arrays are TOML's too.
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


def schemathesis_config(key: str) -> str:
    """Every phase and every check, with the demo's own names at hand: a drawn reference,
    agency code or address is mostly one that exists, so that generated requests get past the
    lookups to the rules behind them."""
    dictionaries = {
        "agencies": list(Agency.objects.values_list("code", flat=True)),
        "categories": list(Category.objects.values_list("slug", flat=True)),
        "people": list(User.objects.values_list("email", flat=True)),
        "teams": list(Team.objects.values_list("pk", flat=True)),
        "tickets": list(Ticket.objects.values_list("reference", flat=True)),
        "files": list(Attachment.objects.values_list("token", flat=True)),
    }
    bindings = {
        "path.reference": ("tickets", 0.9),
        "path.token": ("files", 0.9),
        "body.agency": ("agencies", 0.8),
        "body.category": ("categories", 0.8),
        "body.requester": ("people", 0.8),
        "body.assignee": ("people", 0.8),
        "body.team": ("teams", 0.8),
        "query.agency": ("agencies", 0.5),
        "query.category": ("categories", 0.5),
        "query.assignee": ("people", 0.5),
        "query.team": ("teams", 0.5),
    }
    lines = [
        f"seed = {SEED}",
        "workers = 1",
        "[headers]",
        f'Authorization = "Token {key}"',
        "[generation]",
        'database = "none"',
        f"max-examples = {EXAMPLES_PER_OPERATION}",
        "[checks]",
        "enabled = true",
        "[phases]",
        "enabled = true",
        "[dictionaries]",
        *(f"{name} = {_toml({'values': values})}" for name, values in dictionaries.items()),
        "[parameters]",
        *(
            f"{json.dumps(at)} = {_toml({'dictionary': name, 'probability': chance})}"
            for at, (name, chance) in bindings.items()
        ),
    ]
    for operation_ids, statuses in POSITIVE_BUT_REFUSED:
        lines += [
            "[[operations]]",
            f"include-operation-id = {_toml(operation_ids)}",
            "checks.positive_data_acceptance.expected-statuses = "
            + _toml(["2xx", "3xx", 401, 403, 404, 409, 429, "5xx", *statuses]),
        ]
    return "\n".join(lines) + "\n"


def test_it_keeps_to_its_schema_in_every_phase_of_schemathesis(demo_government, served, tmp_path):
    config = tmp_path / "schemathesis.toml"
    config.write_text(schemathesis_config(demo_government))

    run = subprocess.run(
        [
            sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "--no-color",
            "run", f"{served}/api/v1/schema/?format=json",
            "--phases", "examples,coverage,fuzzing,stateful", "--checks", "all",
        ],
        cwd=tmp_path, capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS,
    )  # fmt: skip

    report = run.stdout + run.stderr
    assert run.returncode == 0, report
    phases = report.split("Test Phases:", 1)[-1].split("\n\n", 1)[0]
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in phases, report


def test_it_generates_the_schema_without_a_warning():
    from io import StringIO

    # Every operation, parameter and enum is described well enough for drf-spectacular to
    # have nothing to guess; --validate checks the result against the OpenAPI 3 meta-schema.
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=StringIO())
