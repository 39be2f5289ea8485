from celery import shared_task


@shared_task(ignore_result=True, acks_late=True)
def drain_pending_work(ids: list[int] | None = None) -> int:
    """Does the recorded work of these rows (or every due row, from beat); a row already done
    is no longer there, so a task delivered twice does nothing twice."""
    from core.pending_work import pending_work_drain

    return pending_work_drain(ids=ids)
