from celery import shared_task


@shared_task(
    bind=True,
    ignore_result=True,
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_backoff_max=1800,
    max_retries=8,
)
def deliver_outbox(self, outbox_id: int) -> None:
    """Sends one outbox row; the row's state makes a second delivery of this task a no-op."""
    from notifications.delivery import outbox_deliver

    outbox_deliver(outbox_id=outbox_id)


@shared_task(ignore_result=True)
def requeue_unsent() -> int:
    from notifications.delivery import outbox_requeue_unsent

    return outbox_requeue_unsent()
