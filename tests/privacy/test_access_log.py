"""Who read what: every read path leaves an entry, batched through Redis, none lost without it."""

import shutil
import socket
import subprocess
import time

import pytest
from django.db import IntegrityError, transaction
from django.db.utils import ProgrammingError

from accounts.token_services import api_token_create
from privacy.access_log import access_log_flush, redis_state
from privacy.models import AccessLogEntry

Kind = AccessLogEntry.Kind


def _download(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def ticket(open_ticket, mof_requester):
    return open_ticket(mof_requester)


def test_it_records_a_ticket_page_read_with_reader_role_and_address(
    client, ticket, mof_agent, mof_requester
):
    client.force_login(mof_agent)
    assert client.get(f"/tickets/{ticket.reference}/", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert AccessLogEntry.objects.count() == 0  # waiting in Redis, not yet in the database
    assert access_log_flush() == 1
    entry = AccessLogEntry.objects.get()
    assert (entry.reader, entry.role, entry.kind) == (mof_agent, "agent", Kind.TICKET)
    assert (entry.ticket, entry.subject, entry.agency) == (ticket, mof_requester, ticket.agency)
    assert entry.ip_address == "10.1.2.3"
    assert entry.membership_id == mof_agent.memberships.get().pk


def test_it_records_an_api_ticket_read(client, ticket, mof_agent):
    _token, key = api_token_create(user=mof_agent, name="script")
    response = client.get(f"/api/v1/tickets/{ticket.reference}/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
    access_log_flush()
    entry = AccessLogEntry.objects.get()
    assert (entry.kind, entry.ticket, entry.reader) == (Kind.API_TICKET, ticket, mof_agent)


def test_it_records_an_attachment_download(client, ticket, attach, mof_requester, mof_agent):
    attachment = attach(ticket, by=mof_requester)
    client.force_login(mof_agent)
    response = client.get(f"/tickets/{ticket.reference}/attachments/{attachment.token}/")
    assert response.status_code == 200
    _download(response)
    access_log_flush()
    entry = AccessLogEntry.objects.get()
    assert (entry.kind, entry.ticket) == (Kind.ATTACHMENT, ticket)


def test_it_records_a_search(client, ticket, mof_agent):
    client.force_login(mof_agent)
    assert client.get("/queue/", {"q": "printer"}).status_code == 200
    assert client.get("/queue/").status_code == 200  # no search words: no person looked for
    access_log_flush()
    entry = AccessLogEntry.objects.get()
    assert (entry.kind, entry.target, entry.agency) == (Kind.SEARCH, "printer", ticket.agency)


def test_it_records_an_export(client, ticket, mof_dpo):
    client.force_login(mof_dpo)
    response = client.get("/privacy/access-log.csv")
    assert response.status_code == 200
    access_log_flush()
    entry = AccessLogEntry.objects.get()
    assert (entry.kind, entry.target) == (Kind.EXPORT, "/privacy/access-log.csv")


def test_it_records_nothing_for_a_refused_read(client, ticket, moh_agent):
    client.force_login(moh_agent)
    assert client.get(f"/tickets/{ticket.reference}/").status_code == 404
    assert access_log_flush() == 0


def test_it_stores_a_batch_flushed_twice_once(ticket, mof_agent, client):
    client.force_login(mof_agent)
    client.get(f"/tickets/{ticket.reference}/")
    client.get(f"/tickets/{ticket.reference}/")
    assert access_log_flush() == 2
    assert access_log_flush() == 0
    assert AccessLogEntry.objects.count() == 2


def test_the_database_refuses_to_change_or_delete_an_entry(ticket, mof_agent, client):
    client.force_login(mof_agent)
    client.get(f"/tickets/{ticket.reference}/")
    access_log_flush()
    with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic():
        AccessLogEntry.objects.update(target="rewritten")
    with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic():
        AccessLogEntry.objects.all().delete()
    assert AccessLogEntry.objects.get().target == ticket.reference


def test_it_refuses_an_entry_twice_with_the_same_key(ticket, mof_agent):
    entry = AccessLogEntry.objects.create(reader=mof_agent, kind=Kind.TICKET)
    with pytest.raises(IntegrityError), transaction.atomic():
        AccessLogEntry.objects.create(key=entry.key, reader=mof_agent, kind=Kind.TICKET)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def own_redis(settings, tmp_path):
    """A Redis server of this test's own, which it may stop."""
    port = _free_port()
    server = subprocess.Popen(
        [shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1",
         "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    yield server
    redis_state.down_until = 0.0  # the next test's reads go to the machine's Redis again
    if server.poll() is None:
        server.terminate()
        server.wait(timeout=10)


def test_it_loses_no_read_while_redis_is_stopped(client, ticket, mof_agent, own_redis):
    client.force_login(mof_agent)
    client.get(f"/tickets/{ticket.reference}/")  # queued in the running Redis
    assert access_log_flush() == 1
    own_redis.terminate()
    own_redis.wait(timeout=10)
    started = time.monotonic()
    for _ in range(3):
        assert client.get(f"/tickets/{ticket.reference}/").status_code == 200
    assert time.monotonic() - started < 5
    assert AccessLogEntry.objects.filter(kind=Kind.TICKET, ticket=ticket).count() == 4


@pytest.mark.worker
def test_a_worker_flushes_the_reads_through_redis(client, ticket, mof_agent, celery_worker_process):
    from core.models import SchedulerHeartbeat
    from core.tasks import record_scheduler_heartbeat
    from privacy.tasks import flush_access_log

    client.force_login(mof_agent)
    client.get(f"/tickets/{ticket.reference}/")
    client.get(f"/tickets/{ticket.reference}/")
    flush_access_log.delay()
    flush_access_log.delay()
    record_scheduler_heartbeat.delay()  # queued last: once it ran, the worker ran all before
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not SchedulerHeartbeat.objects.exists():
        assert celery_worker_process.poll() is None, "the worker exited"
        time.sleep(0.2)
    assert AccessLogEntry.objects.filter(ticket=ticket).count() == 2
