from celery import shared_task

from core.replica import reads_from_replica
from reports import services


@shared_task(ignore_result=True)
@reads_from_replica
def rebuild_recent_rollups() -> int:
    return len(services.rollups_rebuild_recent())
