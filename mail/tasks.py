from celery import shared_task


@shared_task(ignore_result=True)
def deliver_outbox(outbox_id: int) -> None:
    """Sends one outbox row; the row's state makes a second delivery of this task a no-op.

    No Celery retries: a failure is recorded on the row with its backoff, and requeue_unsent
    queues the row again when the backoff ends. The row, not the broker, keeps the count.
    """
    from mail.delivery import outbox_deliver

    outbox_deliver(outbox_id=outbox_id)


@shared_task(ignore_result=True)
def requeue_unsent() -> int:
    from mail.delivery import outbox_requeue_unsent

    return outbox_requeue_unsent()


@shared_task(ignore_result=True)
def poll_inbound_mailboxes() -> int:
    """Beat's entry: one task per active mailbox, so one slow or broken server holds up none
    of the others."""
    from django.conf import settings

    from mail.mailboxes import mailboxes_to_poll

    mailbox_ids = mailboxes_to_poll()
    for mailbox_id in mailbox_ids:
        # A poll still queued when the next one is due is only a duplicate of it.
        poll_inbound_mailbox.apply_async((mailbox_id,), expires=settings.INBOUND_POLL_SECONDS)
    return len(mailbox_ids)


@shared_task(ignore_result=True, acks_late=True)
def poll_inbound_mailbox(mailbox_id: int) -> int:
    """Reads one mailbox. Running it twice handles each message once (Message-ID dedupe)."""
    from mail.mailboxes import mailbox_poll

    return mailbox_poll(mailbox_id=mailbox_id).handled
