"""Numbers and texts of unknown senders are kept only as long as a quarantine entry needs."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from channels.models import InboundSms, UssdSession


@transaction.atomic
def sms_quarantine_purge(now=None) -> int:
    """Deletes received messages that opened or joined no ticket, and old USSD sessions,
    after SMS_QUARANTINE_DAYS; returns how many messages went."""
    now = now or timezone.now()
    before = now - timedelta(days=settings.SMS_QUARANTINE_DAYS)
    deleted, _detail = InboundSms.objects.filter(
        received_at__lt=before, ticket__isnull=True
    ).delete()
    UssdSession.objects.filter(created_at__lt=before).delete()
    return deleted
