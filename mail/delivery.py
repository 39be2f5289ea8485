"""Sending outbox rows. Compare-and-set on the row's state makes each send happen once."""

import logging
import smtplib
from collections.abc import Callable
from datetime import timedelta

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import User
from core.audit import audit_record
from mail.models import Outbox

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# A row claimed for sending this long ago whose worker died is tried again.
SENDING_STALE_AFTER = timedelta(minutes=10)
# A new row's own task, queued after the commit, has this long before the requeue assumes the
# task was lost (the broker was down, the worker died) and queues the row again.
REQUEUE_AFTER = timedelta(minutes=2)


def outbox_deliver(*, outbox_id: int) -> bool:
    """Claims the row (pending -> sending), sends it, records the outcome. False if not ours."""
    now = timezone.now()
    claimed = (
        Outbox.objects.filter(pk=outbox_id, state=Outbox.State.PENDING)
        .filter(Q(hold_until__isnull=True) | Q(hold_until__lte=now))
        .update(state=Outbox.State.SENDING, attempts=F("attempts") + 1, next_attempt_at=now)
    )
    if claimed != 1:
        _deliver_when_held_ends(outbox_id, now)
        return False
    outbox = Outbox.objects.get(pk=outbox_id)
    try:
        _send(outbox)
    except Exception as error:  # noqa: BLE001 - every failure is recorded and retried
        # A server's permanent refusal (5xx: no such mailbox) fails at once with its reason;
        # only what may pass later (4xx, a connection lost) waits for another attempt.
        permanent = permanent_refusal(error)
        failed = permanent is not None or outbox.attempts >= MAX_ATTEMPTS
        Outbox.objects.filter(pk=outbox_id, state=Outbox.State.SENDING).update(
            state=Outbox.State.FAILED if failed else Outbox.State.PENDING,
            last_error=(permanent or f"{error.__class__.__name__}: {error}")[:2000],
            next_attempt_at=None if failed else now + _backoff(outbox.attempts),
        )
        logger.warning("Outbox %s not sent (attempt %s): %s", outbox_id, outbox.attempts, error)
        return False
    Outbox.objects.filter(pk=outbox_id, state=Outbox.State.SENDING).update(
        state=Outbox.State.SENT, sent_at=timezone.now(), last_error=""
    )
    return True


def permanent_refusal(error: Exception) -> str | None:
    """The reason of a permanent SMTP refusal (a 5xx reply, an address the server rejects),
    as the server gave it; None for a failure that may pass."""

    def reason(code: int, message) -> str:
        text = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
        return f"{code} {text}"

    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refusals = list(error.recipients.items())
        if refusals and all(code >= 500 for code, _message in (r for _a, r in refusals)):
            return "; ".join(f"{address}: {reason(*refusal)}" for address, refusal in refusals)
        return None
    if isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500:
        return reason(error.smtp_code, error.smtp_error)
    return None


def _deliver_when_held_ends(outbox_id: int, now) -> None:
    """A row still gathering news of its ticket is sent when its window closes: its task
    comes back then. Should that message be lost, the periodic requeue sends the row."""
    from mail.tasks import deliver_outbox

    hold_until = (
        Outbox.objects.filter(pk=outbox_id, state=Outbox.State.PENDING, hold_until__gt=now)
        .values_list("hold_until", flat=True)
        .first()
    )
    if hold_until is None:
        return
    try:
        deliver_outbox.apply_async((outbox_id,), countdown=(hold_until - now).total_seconds())
    except Exception:  # noqa: BLE001 - the broker is down: the periodic requeue sends it
        logger.warning("Outbox %s waits for the periodic requeue", outbox_id)


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


# The outbox knows how to send e-mail; an app above it that writes rows of another channel
# (webhooks) registers how those are sent, so that mail imports none of them.
_channel_senders: dict[str, Callable[[Outbox], None]] = {}


def outbox_channel_register(channel: str, send: Callable[[Outbox], None]) -> None:
    """Registers the sender of an outbox channel; an app calls it from `AppConfig.ready`."""
    _channel_senders[channel] = send


def _send(outbox: Outbox) -> None:
    sender = _channel_senders.get(outbox.channel)
    if sender is not None:
        sender(outbox)
        return
    if outbox.channel != Outbox.Channel.EMAIL:
        raise ValueError(f"no sender for channel {outbox.channel}")
    headers = dict(outbox.headers)
    reply_to = headers.pop("Reply-To", None)
    message = EmailMultiAlternatives(
        subject=outbox.subject,
        body=outbox.body_text,
        to=[outbox.to_address],
        reply_to=[reply_to] if reply_to else None,
        headers=headers,
    )
    if outbox.body_html:
        message.attach_alternative(outbox.body_html, "text/html")
    message.send(fail_silently=False)


def outbox_requeue_unsent() -> int:
    """Queues rows still unsent: after a broker outage, a crash, or a backoff that ended.

    A row that has never been tried waits REQUEUE_AFTER for the task queued at its commit; a
    grouped row is due when its window closes; a row that failed is due at its
    `next_attempt_at`, the end of its backoff.
    """
    from mail.tasks import deliver_outbox

    now = timezone.now()
    Outbox.objects.filter(
        state=Outbox.State.SENDING, next_attempt_at__lte=now - SENDING_STALE_AFTER
    ).update(state=Outbox.State.PENDING)
    due = list(
        Outbox.objects.filter(state=Outbox.State.PENDING)
        .filter(
            Q(attempts=0, next_attempt_at__lte=now - REQUEUE_AFTER)
            | Q(attempts=0, hold_until__isnull=False, next_attempt_at__lte=now)
            | Q(attempts__gt=0, next_attempt_at__lte=now)
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:1000]
    )
    for outbox_id in due:
        deliver_outbox.delay(outbox_id)
    return len(due)


@transaction.atomic
def outbox_retry(*, outbox: Outbox, actor: User | None = None) -> bool:
    """An admin's retry of a failed message: a fresh set of attempts. False if not failed."""
    from mail.services import outbox_queue_delivery

    retried = Outbox.objects.filter(pk=outbox.pk, state=Outbox.State.FAILED).update(
        state=Outbox.State.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    if not retried:
        return False
    audit_record(
        actor=actor,
        action="outbox.retried",
        target=outbox,
        outbox=outbox.pk,
        last_error=outbox.last_error[:300] or None,
    )
    transaction.on_commit(lambda: outbox_queue_delivery(outbox.pk))
    return True
