from celery import shared_task

from privacy.access_log import access_log_flush
from privacy.services import retention_apply


@shared_task
def flush_access_log() -> int:
    return access_log_flush()


@shared_task
def apply_retention() -> int:
    return retention_apply()
