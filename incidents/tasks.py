from celery import shared_task


@shared_task(ignore_result=True)
def detect_major_incidents() -> int:
    """Beat's entry. Running it again, or twice at once, proposes no cluster twice."""
    from incidents.services import incidents_detect

    return incidents_detect()
