"""Numbers and texts of unknown senders are kept only as long as the quarantine needs."""

from datetime import timedelta

from django.utils import timezone

from channels.models import InboundSms
from channels.quarantine import sms_quarantine_purge
from channels.tasks import purge_sms_quarantine
from tests.channels.conftest import MOF_REQUESTER_PHONE, STRANGER_PHONE


def test_it_deletes_what_strangers_sent_after_the_quarantine_days(sms, requester_phone, settings):
    settings.SMS_QUARANTINE_DAYS = 7
    sms(STRANGER_PHONE, "old", message_id="old")
    sms(STRANGER_PHONE, "new", message_id="new")
    sms(MOF_REQUESTER_PHONE, "Printer jammed", message_id="ticket")
    InboundSms.objects.filter(message_id__in=["old", "ticket"]).update(
        received_at=timezone.now() - timedelta(days=8)
    )

    assert sms_quarantine_purge() == 1

    assert set(InboundSms.objects.values_list("message_id", flat=True)) == {"new", "ticket"}
    assert not InboundSms.objects.filter(sender=STRANGER_PHONE, text="old").exists()


def test_the_purge_run_twice_deletes_nothing_twice(sms, requester_phone):
    sms(STRANGER_PHONE, "old", message_id="old")
    InboundSms.objects.update(received_at=timezone.now() - timedelta(days=30))

    assert purge_sms_quarantine() == 1
    assert purge_sms_quarantine() == 0
