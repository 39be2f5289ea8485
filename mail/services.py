"""Writes of mail that are not a notification's: queueing an outbox row's delivery."""

from core.broker import task_send


def outbox_queue_delivery(outbox_id: int) -> None:
    """Queues the row's delivery; with the broker down, the periodic requeue sends it later."""
    from mail.tasks import deliver_outbox

    task_send(deliver_outbox, outbox_id)
