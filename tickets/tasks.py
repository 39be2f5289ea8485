from celery import shared_task

from tickets.escalation import auto_close_resolved, escalation_sweep


@shared_task(ignore_result=True)
def sweep_escalations() -> int:
    return escalation_sweep()


@shared_task(ignore_result=True)
def close_resolved_tickets() -> int:
    return auto_close_resolved()
