from celery import shared_task


@shared_task(ignore_result=True)
def purge_sms_quarantine() -> int:
    """Beat's entry: deletes what unknown senders sent once the quarantine has kept it long
    enough. Running it twice deletes nothing twice."""
    from channels.quarantine import sms_quarantine_purge

    return sms_quarantine_purge()
