from celery import shared_task

from reports import services


@shared_task(ignore_result=True)
def rebuild_recent_rollups() -> int:
    return len(services.rollups_rebuild_recent())
