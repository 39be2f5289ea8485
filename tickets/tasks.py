from celery import shared_task

from core.tasks import ESCALATION_SWEEP_HEARTBEAT_NAME, heartbeat_record
from tickets.escalation import auto_close_resolved, escalation_sweep


@shared_task(ignore_result=True)
def sweep_escalations() -> int:
    escalated = escalation_sweep()
    heartbeat_record(ESCALATION_SWEEP_HEARTBEAT_NAME)
    return escalated


@shared_task(ignore_result=True)
def close_resolved_tickets() -> int:
    return auto_close_resolved()
