from celery import shared_task
from celery.signals import beat_init
from django.utils import timezone

from helpdesk.models import SchedulerHeartbeat

BEAT_HEARTBEAT_NAME = "beat"


@shared_task(ignore_result=True)
def record_scheduler_heartbeat() -> None:
    """Proves to /healthz that beat schedules and a worker runs what it schedules."""
    SchedulerHeartbeat.objects.update_or_create(
        name=BEAT_HEARTBEAT_NAME, defaults={"last_run_at": timezone.now()}
    )


@beat_init.connect(dispatch_uid="helpdesk.heartbeat_on_beat_start")
def heartbeat_on_beat_start(sender=None, **kwargs) -> None:
    # Without this, /healthz would call a freshly started scheduler late for a whole interval.
    record_scheduler_heartbeat.delay()
