from celery import shared_task

from reports import services


@shared_task(ignore_result=True, acks_late=True, autoretry_for=(Exception,), retry_backoff=True)
def refresh_ticket_rollups(ticket_id: int) -> None:
    services.rollup_refresh_ticket_task(ticket_id=ticket_id)


@shared_task(ignore_result=True)
def refresh_pending_rollups() -> int:
    return services.rollups_refresh_pending()


@shared_task(ignore_result=True)
def rebuild_recent_rollups() -> int:
    return len(services.rollups_rebuild_recent())
