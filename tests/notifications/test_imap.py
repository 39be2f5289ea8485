"""Reading mailboxes from a real IMAP server: Debian's dovecot, started by each test on loopback
(tests/notifications/imap_server.py)."""

import contextlib
import socket
import threading
import time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest

from mail.mailboxes import mailbox_poll
from mail.models import InboundMailbox, InboundMessage
from mail.tasks import poll_inbound_mailbox, poll_inbound_mailboxes
from tests.notifications.imap_server import ImapServer, dovecot_available
from tickets import services as ticket_services
from tickets.models import Category, Ticket, TicketEvent

PASSWORD = "imap secret"


def mail(*, sender="requester@mof.gov.test", subject="Printer offline", body="It jams.") -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "help@mof.gov.test"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="mail.test")
    message.set_content(body)
    return message.as_bytes()


def start_server() -> ImapServer:
    binary, why_not = dovecot_available()
    if binary is None:
        pytest.skip(why_not)
    return ImapServer(binary).start()


@pytest.fixture
def imap_server(settings):
    server = start_server()
    # The test server's self-signed certificate is the one authority trusted besides the system's.
    settings.INBOUND_IMAP_CA_FILE = server.ca_file
    yield server
    server.remove()


@pytest.fixture
def other_server():
    server = start_server()
    yield server
    server.remove()


@pytest.fixture
def mof_category(mof):
    return Category.objects.create(name="Payroll", slug="mof-payroll", agency=mof)


@pytest.fixture
def make_mailbox(mof, mof_category):
    def make_mailbox(server, address="help@mof.gov.test", *, tls=True, port=None, **fields):
        if address not in server.users:
            server.add_user(address, PASSWORD)
        mailbox = InboundMailbox(
            agency=mof,
            address=address,
            imap_host=server.host,
            imap_port=port or (server.tls_port if tls else server.port),
            username=address,
            use_tls=tls,
            **fields,
        )
        mailbox.password = PASSWORD
        mailbox.save()
        return mailbox

    return make_mailbox


def test_it_turns_unseen_messages_into_tickets_and_replies(
    imap_server, make_mailbox, mof_requester, mof_category
):
    mailbox = make_mailbox(imap_server)
    ticket = ticket_services.ticket_create(
        requester=mof_requester, requester_agency=mof_requester.memberships.get().agency,
        category=mof_category, subject="Payslip", description="Missing.",
        impact="low", urgency="low",
    )  # fmt: skip
    imap_server.deliver(mailbox.address, mail(subject="Scanner broken", body="It jams."))
    imap_server.deliver(mailbox.address, mail(subject=f"Re: [{ticket.reference}]", body="Ping."))

    result = mailbox_poll(mailbox_id=mailbox.pk)

    assert (result.handled, result.error) == (2, "")
    new_ticket = Ticket.objects.get(subject="Scanner broken")
    assert new_ticket.channel == Ticket.Channel.EMAIL
    assert ticket.events.get(kind=TicketEvent.Kind.REPLY).body == "Ping."
    assert imap_server.unseen_count(mailbox.address) == 0
    mailbox.refresh_from_db()
    assert mailbox.last_polled_at is not None
    assert mailbox.last_error == ""


def test_it_handles_each_message_once_however_often_it_polls(
    imap_server, make_mailbox, mof_requester
):
    mailbox = make_mailbox(imap_server)
    imap_server.deliver(mailbox.address, mail())
    assert poll_inbound_mailbox(mailbox.pk) == 1
    assert poll_inbound_mailbox(mailbox.pk) == 0
    assert Ticket.objects.count() == 1
    assert InboundMessage.objects.count() == 1


def test_it_does_not_redo_a_message_recorded_but_never_marked_seen(
    imap_server, make_mailbox, mof_requester
):
    from mail.inbound import inbound_handle

    mailbox = make_mailbox(imap_server)
    raw = mail()
    imap_server.deliver(mailbox.address, raw)
    inbound_handle(raw, mailbox=mailbox)  # as if the last poll stopped before marking it seen

    assert mailbox_poll(mailbox_id=mailbox.pk).error == ""
    assert Ticket.objects.count() == 1
    assert InboundMessage.objects.count() == 1
    assert imap_server.unseen_count(mailbox.address) == 0


def test_it_records_a_refused_login_and_leaves_the_mail_unread(
    imap_server, make_mailbox, mof_requester
):
    mailbox = make_mailbox(imap_server)
    mailbox.password = "wrong password"
    mailbox.save(update_fields=["password_encrypted"])
    imap_server.deliver(mailbox.address, mail())

    result = mailbox_poll(mailbox_id=mailbox.pk)

    assert result.error == "The IMAP server refused the user name or password."
    mailbox.refresh_from_db()
    assert mailbox.last_error == "The IMAP server refused the user name or password."
    assert mailbox.last_error_at is not None
    assert not InboundMessage.objects.exists()
    assert imap_server.unseen_count(mailbox.address) == 1


def test_it_refuses_a_server_whose_certificate_it_does_not_trust(
    imap_server, make_mailbox, settings
):
    mailbox = make_mailbox(imap_server)
    settings.INBOUND_IMAP_CA_FILE = ""
    result = mailbox_poll(mailbox_id=mailbox.pk)
    assert result.error.startswith("The IMAP server's certificate is not trusted")


def test_it_reads_a_plain_loopback_server_without_tls(imap_server, make_mailbox, mof_requester):
    mailbox = make_mailbox(imap_server, tls=False)
    imap_server.deliver(mailbox.address, mail())
    assert mailbox_poll(mailbox_id=mailbox.pk).handled == 1


def test_it_clears_the_last_error_once_a_poll_succeeds(imap_server, make_mailbox):
    mailbox = make_mailbox(imap_server, last_error="The IMAP server did not answer in time.")
    assert mailbox_poll(mailbox_id=mailbox.pk).error == ""
    mailbox.refresh_from_db()
    assert mailbox.last_error == ""


def test_it_records_a_stopped_server_and_still_reads_the_next_mailbox(
    imap_server, other_server, make_mailbox, mof_requester, settings, tmp_path
):
    bundle = tmp_path / "authorities.pem"
    bundle.write_text(
        Path(imap_server.ca_file).read_text() + Path(other_server.ca_file).read_text()
    )
    settings.INBOUND_IMAP_CA_FILE = str(bundle)
    stopped = make_mailbox(other_server, "old@mof.gov.test")
    running = make_mailbox(imap_server, "help@mof.gov.test")
    imap_server.deliver(running.address, mail(subject="Read"))
    assert mailbox_poll(mailbox_id=stopped.pk).error == ""  # it worked, until...
    other_server.stop()

    for mailbox_id in (stopped.pk, running.pk):
        poll_inbound_mailbox(mailbox_id)

    stopped.refresh_from_db()
    assert stopped.last_error == (
        "The IMAP server refused the connection: is it running, on this port?"
    )
    assert list(Ticket.objects.values_list("subject", flat=True)) == ["Read"]
    running.refresh_from_db()
    assert running.last_error == ""


class DroppingProxy:
    """Forwards IMAP on loopback and cuts the line when the client asks for its Nth message."""

    def __init__(self, target_port: int, drop_at_fetch: int):
        self.target_port = target_port
        self.drop_at_fetch = drop_at_fetch
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        try:
            client, _ = self.listener.accept()
        except OSError:
            return
        server = socket.create_connection(("127.0.0.1", self.target_port))
        self.sockets += [client, server]
        threading.Thread(target=self._pipe, args=(server, client, False), daemon=True).start()
        self._pipe(client, server, True)

    def _pipe(self, source: socket.socket, sink: socket.socket, counting: bool) -> None:
        fetches = 0
        try:
            while data := source.recv(65536):
                fetches += data.count(b" FETCH ") if counting else 0
                if fetches >= self.drop_at_fetch:
                    break
                sink.sendall(data)
        except OSError:
            pass
        self.close()

    def close(self) -> None:
        for sock in [self.listener, *self.sockets]:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


def test_it_records_a_dropped_connection_and_finishes_next_time(
    imap_server, make_mailbox, mof_requester
):
    mailbox = make_mailbox(imap_server, tls=False)
    for subject in ("First", "Second", "Third"):
        imap_server.deliver(mailbox.address, mail(subject=subject))
    proxy = DroppingProxy(imap_server.port, drop_at_fetch=2)
    InboundMailbox.objects.filter(pk=mailbox.pk).update(imap_port=proxy.port)

    dropped = mailbox_poll(mailbox_id=mailbox.pk)

    assert dropped.handled == 1
    assert dropped.error.startswith("The connection to the IMAP server dropped")
    mailbox.refresh_from_db()
    assert mailbox.last_error.startswith("The connection to the IMAP server dropped")
    assert imap_server.unseen_count(mailbox.address) == 2

    InboundMailbox.objects.filter(pk=mailbox.pk).update(imap_port=imap_server.port)
    assert mailbox_poll(mailbox_id=mailbox.pk).handled == 2
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["First", "Second", "Third"]
    assert InboundMessage.objects.count() == 3


def test_it_skips_a_mailbox_another_poll_is_reading(imap_server, make_mailbox):
    from django.core.cache import cache

    mailbox = make_mailbox(imap_server)
    cache.add(f"inbound-poll:{mailbox.pk}", 1)
    assert mailbox_poll(mailbox_id=mailbox.pk).skipped
    mailbox.refresh_from_db()
    assert mailbox.last_polled_at is None


def test_it_fans_out_to_active_mailboxes_only(make_mailbox, imap_server, monkeypatch):
    active = make_mailbox(imap_server, "help@mof.gov.test")
    make_mailbox(imap_server, "old@mof.gov.test", is_active=False)
    queued = []
    monkeypatch.setattr(
        poll_inbound_mailbox, "apply_async", lambda args, **options: queued.append(args)
    )
    assert poll_inbound_mailboxes() == 1
    assert queued == [(active.pk,)]


@pytest.mark.worker
@pytest.mark.xdist_group("worker")
def test_it_polls_every_mailbox_through_the_real_worker(
    celery_worker_process, imap_server, other_server, make_mailbox, mof_requester
):
    # Plain IMAP on loopback: the worker is its own process and does not see this test's
    # settings (the certificate to trust); TLS is covered above.
    stopped = make_mailbox(other_server, "old@mof.gov.test", tls=False)
    running = make_mailbox(imap_server, "help@mof.gov.test", tls=False)
    imap_server.deliver(running.address, mail(subject="Through the worker"))
    other_server.stop()

    poll_inbound_mailboxes.delay()

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert celery_worker_process.poll() is None, "the worker exited"
        stopped.refresh_from_db()
        if Ticket.objects.exists() and stopped.last_error:
            break
        time.sleep(0.2)
    assert Ticket.objects.get().subject == "Through the worker"
    assert "refused the connection" in stopped.last_error
