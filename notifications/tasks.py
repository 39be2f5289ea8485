from celery import shared_task


@shared_task(ignore_result=True)
def send_daily_digests() -> int:
    """Beat's daily entry: each person's digest, one transaction per person. Running it again
    the same day writes nothing more: one outbox row per person and day."""
    from django.utils import timezone

    from notifications.notice_services import digests_send_all

    return digests_send_all(day=timezone.localdate())
