"""Text messages out: written to the outbox in the change's transaction, sent once after it.

An SMS is an outbox row of channel `sms` (mail/delivery.py claims it, calls `sms_deliver`,
retries with backoff, and marks it sent); its `dedupe_key` makes writing it twice write it
once. The text is cut to fit three segments before it is stored, so what is sent is what
the row shows.
"""

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from channels import sms_text
from channels.gateways import sending_gateway
from mail.models import Outbox
from mail.services import outbox_queue_delivery
from tickets.models import Ticket


def sms_queue(
    *,
    to: str,
    text: str,
    dedupe_key: str,
    recipient: User | None = None,
    ticket: Ticket | None = None,
    keep_end: str = "",
) -> Outbox:
    """Writes one SMS to `to` (E.164); it leaves after the commit. `keep_end` (a link) is
    kept whole when the text is cut."""
    body = sms_text.fit(text.strip(), keep_end=keep_end)
    outbox, created = Outbox.objects.get_or_create(
        dedupe_key=dedupe_key[:200],
        defaults={
            "channel": Outbox.Channel.SMS,
            "recipient": recipient,
            "to_address": to,
            "subject": "",
            "body_text": body,
            "ticket": ticket,
            "created_at": timezone.now(),
            "next_attempt_at": timezone.now(),
        },
    )
    if created:
        transaction.on_commit(lambda: outbox_queue_delivery(outbox.pk))
    return outbox


def sms_deliver(outbox: Outbox) -> None:
    """The outbox's sender of channel `sms`; raises on any failure, which the outbox retries."""
    message_id = sending_gateway().send_sms(
        to=outbox.to_address, text=outbox.body_text, key=outbox.dedupe_key
    )
    if message_id:
        Outbox.objects.filter(pk=outbox.pk).update(message_id=message_id[:300])
