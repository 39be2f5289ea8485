from celery import shared_task
from django.utils import timezone

from helpdesk.models import SchedulerHeartbeat

BEAT_HEARTBEAT_NAME = "beat"


@shared_task(ignore_result=True)
def record_scheduler_heartbeat() -> None:
    """Proves to /healthz that beat schedules and a worker runs what it schedules."""
    SchedulerHeartbeat.objects.update_or_create(
        name=BEAT_HEARTBEAT_NAME, defaults={"last_run_at": timezone.now()}
    )
