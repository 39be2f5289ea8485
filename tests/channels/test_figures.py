"""Tickets by channel on the agency dashboard and the Council view."""

import re

from tests.channels.conftest import MOF_REQUESTER_PHONE


def _row(page: str, label: str) -> list[str]:
    match = re.search(rf'<th scope="row">{label}</th>(.*?)</tr>', page, re.S)
    assert match, label
    return re.findall(r"<td>(.*?)</td>", match.group(1))


def _report_by_sms_and_ussd(sms, dial):
    sms(MOF_REQUESTER_PHONE, "Printer jammed")
    sms(MOF_REQUESTER_PHONE, "Mailbox full")
    dial(MOF_REQUESTER_PHONE, "1*1*Screen flickers", session="s1")


def test_the_agency_dashboard_counts_tickets_by_channel(
    client, sms, dial, requester_phone, mof_head
):
    _report_by_sms_and_ussd(sms, dial)
    client.force_login(mof_head)

    page = client.get("/dashboard/", {"period": "7"}).content.decode()

    assert "Tickets reported by channel" in page
    assert _row(page, "SMS") == ["2", "66.7"]
    assert _row(page, "USSD") == ["1", "33.3"]
    assert _row(page, "Web") == ["0", "0.0"]


def test_the_council_view_counts_tickets_by_channel(
    client, sms, dial, requester_phone, council_member
):
    _report_by_sms_and_ussd(sms, dial)
    client.force_login(council_member)

    page = client.get("/council/", {"period": "7"}).content.decode()

    assert _row(page, "SMS") == ["2", "66.7"]
    assert _row(page, "USSD") == ["1", "33.3"]


def test_an_empty_period_says_so(client, mof_head, requester_phone):
    client.force_login(mof_head)

    page = client.get("/dashboard/", {"period": "7"}).content.decode()

    assert 'id="figure-channels"' in page
    assert "Tickets reported by channel" in page
