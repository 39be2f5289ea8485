"""An e-mail writes its times in the handling agency's one time zone, as its calendar, its due
times and its dashboard do."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from mail.models import Outbox
from service_levels.models import SLAPolicy

pytestmark = pytest.mark.usefixtures("service_desk")


def test_it_writes_the_due_time_in_the_agencys_time_zone(open_ticket, mof):
    mof.time_zone = "Asia/Tokyo"  # far enough from the server's zone to tell them apart
    mof.save(update_fields=["time_zone"])
    SLAPolicy.objects.create(
        priority="P4", response_minutes=60, resolution_minutes=480, business_hours=False
    )
    with time_machine.travel(datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("UTC")), tick=False):
        ticket = open_ticket()
    assert ticket.response_due_at == datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("UTC"))
    message = Outbox.objects.get(ticket=ticket, to_address=ticket.requester.email)
    # 10:00 UTC is 19:00 in Tokyo.
    assert "Expect a first answer by 23 November 2026, 19:00." in message.body_text
