"""Channels fixtures: confirmed phones for the personas, a small catalogue, the callbacks as
the gateway posts them, and a loopback HTTP server standing in for the gateway's API.

The server answers as Africa's Talking's messaging API does and records what it accepted.
It runs in a thread of the test process; a Celery worker started by a test reaches it too.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from agencies.models import Team
from channels.models import PhoneNumber
from tickets.models import Category

TOKEN = "callback-token-0123456789"
MOF_REQUESTER_PHONE = "+254711000001"
MOF_AGENT_PHONE = "+254711000002"
MOH_REQUESTER_PHONE = "+254711000003"
STRANGER_PHONE = "+254711999999"
BASE_DIR = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(autouse=True)
def _callback_settings(settings):
    settings.SMS_CALLBACK_TOKEN = TOKEN
    settings.SMS_GATEWAY_ALLOWED_NETWORKS = []
    settings.AFRICASTALKING_USERNAME = "govdesk"
    settings.AFRICASTALKING_API_KEY = "test-api-key"
    settings.AFRICASTALKING_SENDER = "12345"


def confirm_phone(user, number: str, *, sms_updates: bool = False) -> PhoneNumber:
    return PhoneNumber.objects.create(
        user=user, number=number, confirmed_at=timezone.now(), sms_updates=sms_updates
    )


@pytest.fixture
def mof_desk(mof):
    team = Team.objects.create(agency=mof, name="Service desk")
    mof.intake_team = team
    mof.save(update_fields=["intake_team"])
    return team


@pytest.fixture
def catalogue(db):
    """Government-wide services, handled by the requester's own agency: "other" among them."""
    return {
        "other": Category.objects.create(name="Other", slug="other"),
        "printer": Category.objects.create(name="Computer and printer", slug="printer"),
        "email": Category.objects.create(name="Government e-mail", slug="email"),
    }


@pytest.fixture
def requester_phone(mof_requester, mof_desk, catalogue):
    return confirm_phone(mof_requester, MOF_REQUESTER_PHONE)


@pytest.fixture
def sms(client):
    """Posts an SMS callback as Africa's Talking does; returns the response."""
    counter = iter(range(1, 10_000))

    def post(sender: str, text: str, *, message_id: str | None = None, token: str = TOKEN):
        fields = {
            "from": sender,
            "to": "12345",
            "text": text,
            "date": "2026-12-03 10:00:00",
            "id": message_id or f"ATXid_{next(counter)}",
            "linkId": "link-1",
        }
        return client.post(f"/channels/africastalking/{token}/sms/", fields)

    return post


@pytest.fixture
def dial(client):
    """Posts a USSD callback as Africa's Talking does; returns the screen's text."""

    def post(phone: str, text: str = "", *, session: str = "ATUid_1", token: str = TOKEN):
        response = client.post(
            f"/channels/africastalking/{token}/ussd/",
            {
                "sessionId": session,
                "serviceCode": "*384*123#",
                "phoneNumber": phone,
                "networkCode": "63902",
                "text": text,
            },
        )
        assert response.status_code == 200, response.content
        assert response["Content-Type"].startswith("text/plain")
        return response.content.decode()

    return post


# -- The gateway's API, on loopback ------------------------------------------------------------


class FakeGateway:
    """Accepts SMS as Africa's Talking's messaging API does and records each one accepted.

    `hold` makes it keep the next request unanswered until `release()` (then it drops the
    connection without an answer): a send in flight, for a worker to die in.
    """

    def __init__(self):
        self.accepted: list[dict] = []
        self.attempts: list[dict] = []
        self.hold = False
        self.held = threading.Event()
        self._release = threading.Event()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                form["_path"] = self.path
                form["_api_key"] = self.headers.get("apiKey", "")
                gateway.attempts.append(form)
                if gateway.hold:
                    gateway.hold = False
                    gateway.held.set()
                    gateway._release.wait(60)
                    self.close_connection = True
                    return
                gateway.accepted.append(form)
                body = json.dumps(
                    {
                        "SMSMessageData": {
                            "Message": "Sent to 1/1 Total Cost: KES 0.8000",
                            "Recipients": [
                                {
                                    "statusCode": 101,
                                    "number": form.get("to", ""),
                                    "status": "Success",
                                    "cost": "KES 0.8000",
                                    "messageId": f"ATXid_out_{len(gateway.accepted)}",
                                }
                            ],
                        }
                    }
                ).encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def release(self) -> None:
        self._release.set()

    def stop(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway(settings):
    fake = FakeGateway()
    settings.AFRICASTALKING_BASE_URL = fake.url
    yield fake
    fake.stop()


# -- Workers of the test's own ------------------------------------------------------------------


@pytest.fixture
def start_worker(transactional_db, gateway):
    """Starts Celery workers on this test's database and queue, pointed at the fake gateway;
    each is stopped by its pid at the end (one the test killed is left alone)."""
    started: list[subprocess.Popen] = []
    database = connection.settings_dict

    def start() -> subprocess.Popen:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "helpdesk.test_settings",
            "DATABASE_URL": (
                f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@"
                f"{database['HOST']}:{database['PORT'] or 5432}/{database['NAME']}"
            ),
            "TEST_CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
            "AFRICASTALKING_BASE_URL": gateway.url,
            "AFRICASTALKING_USERNAME": "govdesk",
            "AFRICASTALKING_API_KEY": "test-api-key",
        }
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--pool", "solo",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"],
            cwd=BASE_DIR, env=env, start_new_session=True,
        )  # fmt: skip
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.poll() is not None:
            continue
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def wait_until(condition, *, timeout: float = 60, worker=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if worker is not None:
            assert worker.poll() is None, "the worker exited"
        time.sleep(0.2)
    raise AssertionError("timed out")
