from celery import shared_task
from celery.signals import beat_init
from django.utils import timezone

from core.models import SchedulerHeartbeat


@shared_task(ignore_result=True, acks_late=True)
def drain_pending_work(ids: list[int] | None = None) -> int:
    """Does the recorded work of these rows (or every due row, from beat); a row already done
    is no longer there, so a task delivered twice does nothing twice."""
    from core.pending_work import pending_work_drain

    return pending_work_drain(ids=ids)


BEAT_HEARTBEAT_NAME = "beat"
# Written at the end of each escalation sweep; /metrics shows the time since.
ESCALATION_SWEEP_HEARTBEAT_NAME = "escalation-sweep"


def heartbeat_record(name: str) -> None:
    SchedulerHeartbeat.objects.update_or_create(name=name, defaults={"last_run_at": timezone.now()})


@shared_task(ignore_result=True)
def record_scheduler_heartbeat() -> None:
    """Proves to /healthz that beat schedules and a worker runs what it schedules."""
    heartbeat_record(BEAT_HEARTBEAT_NAME)


@beat_init.connect(dispatch_uid="helpdesk.heartbeat_on_beat_start")
def heartbeat_on_beat_start(sender=None, **kwargs) -> None:
    # Without this, /healthz would call a freshly started scheduler late for a whole interval.
    record_scheduler_heartbeat.delay()
