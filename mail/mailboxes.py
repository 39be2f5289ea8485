"""Reading agencies' help-desk mailboxes over IMAP.

Each poll logs in, reads the unseen messages one at a time, hands each to `inbound_handle`,
and marks it seen only once it is recorded. A poll that stops half-way (a dropped connection,
a crash) leaves the rest unseen for the next one; a message recorded but not yet marked seen
is read again and recognised by its Message-ID, so nothing is lost and nothing done twice.
A failure is written on the mailbox (`last_error`) and never reaches another mailbox.
"""

import contextlib
import imaplib
import logging
import ssl
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from imap_tools import AND, MailBox, MailBoxUnencrypted
from imap_tools.errors import MailboxLoginError

from mail.inbound import inbound_handle
from mail.models import InboundMailbox, MailboxPasswordUnreadable

logger = logging.getLogger(__name__)


@dataclass
class PollResult:
    handled: int = 0
    error: str = ""
    skipped: bool = False


def imap_ssl_context() -> ssl.SSLContext:
    """Verifies the server's certificate: the system's authorities, plus INBOUND_IMAP_CA_FILE."""
    context = ssl.create_default_context()
    if settings.INBOUND_IMAP_CA_FILE:
        context.load_verify_locations(cafile=settings.INBOUND_IMAP_CA_FILE)
    return context


def _connect(mailbox: InboundMailbox):
    timeout = settings.INBOUND_IMAP_TIMEOUT
    if mailbox.use_tls:
        return MailBox(
            mailbox.imap_host, mailbox.imap_port, timeout=timeout, ssl_context=imap_ssl_context()
        )
    return MailBoxUnencrypted(mailbox.imap_host, mailbox.imap_port, timeout=timeout)


def _fetch_raw(box, uid: str) -> bytes | None:
    # BODY.PEEK leaves the message unseen until it is recorded.
    status, data = box.client.uid("FETCH", uid, "(BODY.PEEK[])")
    if status != "OK":
        raise imaplib.IMAP4.error(f"FETCH {uid} answered {status}")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return item[1]
    return None  # expunged by someone else since the search


def _mark_seen(box, uid: str) -> None:
    # Not imap_tools' flag(), which also expunges whatever another client marked deleted.
    status, _ = box.client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
    if status != "OK":
        raise imaplib.IMAP4.error(f"STORE {uid} answered {status}")


def _close(box) -> None:
    if box is None:
        return
    try:
        box.logout()
    except Exception:  # noqa: BLE001 - the line is gone: LOGOUT failed, close our end of it
        with contextlib.suppress(OSError):
            box.client.shutdown()


def _describe(error: BaseException) -> str:
    if isinstance(error, MailboxLoginError):
        return "The IMAP server refused the user name or password."
    if isinstance(error, MailboxPasswordUnreadable):
        return str(error)
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"The IMAP server's certificate is not trusted: {error.verify_message}."
    if isinstance(error, ConnectionRefusedError):
        return "The IMAP server refused the connection: is it running, on this port?"
    if isinstance(error, TimeoutError):
        return "The IMAP server did not answer in time."
    if isinstance(error, imaplib.IMAP4.abort | ConnectionError | EOFError):
        return f"The connection to the IMAP server dropped: {error}"
    return f"{type(error).__name__}: {error}"[:1000]


def mailbox_poll(*, mailbox_id: int) -> PollResult:
    """Reads one mailbox's unseen messages. Two polls of one mailbox never run at once."""
    lock = f"inbound-poll:{mailbox_id}"
    if not cache.add(lock, 1, timeout=settings.CELERY_TASK_TIME_LIMIT):
        return PollResult(skipped=True)
    try:
        return _poll(mailbox_id)
    finally:
        cache.delete(lock)


def _poll(mailbox_id: int) -> PollResult:
    mailbox = (
        InboundMailbox.objects.select_related("agency", "default_category")
        .filter(pk=mailbox_id, is_active=True)
        .first()
    )
    if mailbox is None:
        return PollResult(skipped=True)
    result = PollResult()
    box = None
    try:
        password = mailbox.password
        box = _connect(mailbox)
        box.login(mailbox.username, password, initial_folder=mailbox.folder)
        uids = box.uids(AND(seen=False))[: settings.INBOUND_FETCH_LIMIT]
        for uid in uids:
            raw = _fetch_raw(box, uid)
            if raw is not None:
                inbound_handle(raw, mailbox=mailbox)
                result.handled += 1
            _mark_seen(box, uid)
    except Exception as error:
        result.error = _describe(error)
        logger.warning("Mailbox %s: %s", mailbox.address, result.error, exc_info=True)
    finally:
        _close(box)
    now = timezone.now()
    mailbox.last_polled_at = now
    if result.error:
        mailbox.last_error, mailbox.last_error_at = result.error, now
        mailbox.save(update_fields=["last_polled_at", "last_error", "last_error_at"])
    else:
        mailbox.last_error = ""
        mailbox.save(update_fields=["last_polled_at", "last_error"])
    return result


def mailboxes_to_poll() -> list[int]:
    return list(InboundMailbox.objects.filter(is_active=True).values_list("pk", flat=True))
