"""SMS out: through the outbox like e-mail, received by a loopback server standing in for the
gateway's API; public replies and resolutions to people who prefer SMS, short, in their
language."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channels import sms_text
from channels.outbound import sms_queue
from mail.delivery import outbox_deliver, outbox_requeue_unsent
from mail.models import Outbox
from tests.channels.conftest import MOF_REQUESTER_PHONE, confirm_phone
from tickets.models import Ticket
from tickets.services import ticket_create, ticket_reply, ticket_update


def _open(requester, category) -> Ticket:
    membership = requester.memberships.select_related("agency").first()
    return ticket_create(
        requester=requester,
        requester_agency=membership.agency,
        category=category,
        subject="Printer jammed",
        description="It jams on every page.",
        impact="low",
        urgency="medium",
    )


def _sms() -> list[Outbox]:
    return list(Outbox.objects.filter(channel=Outbox.Channel.SMS).order_by("pk"))


def test_it_sends_an_sms_through_the_gateways_api(gateway, mof_requester):
    outbox = sms_queue(to=MOF_REQUESTER_PHONE, text="Hello from GovDesk", dedupe_key="t:1")

    assert outbox_deliver(outbox_id=outbox.pk) is True

    assert len(gateway.accepted) == 1
    sent = gateway.accepted[0]
    assert sent["_path"] == "/version1/messaging"
    assert sent["_api_key"] == "test-api-key"
    assert (sent["username"], sent["to"], sent["message"], sent["from"]) == (
        "govdesk", MOF_REQUESTER_PHONE, "Hello from GovDesk", "12345",
    )  # fmt: skip
    outbox.refresh_from_db()
    assert outbox.state == Outbox.State.SENT
    assert outbox.message_id == "ATXid_out_1"


def test_a_delivery_run_twice_sends_once(db, gateway):
    outbox = sms_queue(to=MOF_REQUESTER_PHONE, text="Once", dedupe_key="t:2")

    outbox_deliver(outbox_id=outbox.pk)
    outbox_deliver(outbox_id=outbox.pk)
    outbox_requeue_unsent()

    assert len(gateway.accepted) == 1


def test_a_message_written_twice_is_one_row(db, gateway):
    sms_queue(to=MOF_REQUESTER_PHONE, text="Once", dedupe_key="t:3")
    sms_queue(to=MOF_REQUESTER_PHONE, text="Once", dedupe_key="t:3")

    assert len(_sms()) == 1


def test_a_refusal_of_the_gateway_is_retried_later(db, gateway, settings):
    settings.AFRICASTALKING_BASE_URL = gateway.url + "/nowhere-but-a-404-is-not-here"
    settings.AFRICASTALKING_API_KEY = ""
    outbox = sms_queue(to=MOF_REQUESTER_PHONE, text="Try", dedupe_key="t:4")

    assert outbox_deliver(outbox_id=outbox.pk) is False

    outbox.refresh_from_db()
    assert outbox.state == Outbox.State.PENDING
    assert outbox.attempts == 1
    assert "AFRICASTALKING_API_KEY" in outbox.last_error
    assert gateway.accepted == []


def test_a_gateway_that_cannot_be_reached_is_retried_later(db, settings):
    settings.AFRICASTALKING_BASE_URL = "http://127.0.0.1:9"
    outbox = sms_queue(to=MOF_REQUESTER_PHONE, text="Try", dedupe_key="t:5")

    assert outbox_deliver(outbox_id=outbox.pk) is False

    outbox.refresh_from_db()
    assert (outbox.state, outbox.attempts) == (Outbox.State.PENDING, 1)
    assert outbox.last_error.startswith("GatewayError: not reached")


def test_an_agents_public_reply_reaches_a_requester_who_prefers_sms(
    committed, gateway, settings, mof_requester, mof_agent, mof_desk, catalogue
):
    confirm_phone(mof_requester, MOF_REQUESTER_PHONE, sms_updates=True)
    ticket = _open(mof_requester, catalogue["printer"])

    with committed():
        ticket_reply(ticket=ticket, author=mof_agent, body="Please restart it.", as_agent=True)

    (message,) = _sms()
    assert message.to_address == MOF_REQUESTER_PHONE
    assert message.body_text == (
        f"GovDesk {ticket.reference}: Please restart it. "
        f"{settings.GOVDESK_SITE_URL}/tickets/{ticket.reference}/"
    )
    assert outbox_deliver(outbox_id=message.pk) is True
    assert [m["to"] for m in gateway.accepted] == [MOF_REQUESTER_PHONE]


def test_it_tells_nobody_by_sms_who_did_not_choose_it(
    committed, gateway, mof_requester, mof_agent, mof_desk, catalogue
):
    confirm_phone(mof_requester, MOF_REQUESTER_PHONE, sms_updates=False)
    ticket = _open(mof_requester, catalogue["printer"])

    with committed():
        ticket_reply(ticket=ticket, author=mof_agent, body="Please restart it.", as_agent=True)

    assert _sms() == []


def test_internal_notes_never_leave_by_sms(
    committed, gateway, mof_requester, mof_agent, mof_desk, catalogue
):
    confirm_phone(mof_requester, MOF_REQUESTER_PHONE, sms_updates=True)
    ticket = _open(mof_requester, catalogue["printer"])

    with committed():
        ticket_reply(ticket=ticket, author=mof_agent, body="secret", internal=True, as_agent=True)

    assert _sms() == []


def test_the_resolution_reaches_a_requester_who_prefers_sms_in_their_language(
    committed, gateway, mof_requester, mof_agent, mof_desk, catalogue
):
    mof_requester.preferred_language = "fr"
    mof_requester.save(update_fields=["preferred_language"])
    confirm_phone(mof_requester, MOF_REQUESTER_PHONE, sms_updates=True)
    ticket = _open(mof_requester, catalogue["printer"])

    with committed():
        ticket_update(ticket=ticket, actor=mof_agent, status=Ticket.Status.RESOLVED)

    texts = [m.body_text for m in _sms()]
    assert any(ticket.reference in text and "résolu" in text for text in texts), texts


def test_a_long_reply_is_cut_to_three_segments_with_its_link_whole(
    committed, gateway, mof_requester, mof_agent, mof_desk, catalogue
):
    confirm_phone(mof_requester, MOF_REQUESTER_PHONE, sms_updates=True)
    ticket = _open(mof_requester, catalogue["printer"])

    with committed():
        ticket_reply(ticket=ticket, author=mof_agent, body="Restart it. " * 200, as_agent=True)

    (message,) = _sms()
    assert sms_text.segments(message.body_text) <= 3
    assert message.body_text.endswith(f"/tickets/{ticket.reference}/")
    assert "Restart it." in message.body_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 459, 3),
        ("€" * 80, 1),
        ("é" * 160, 1),
        ("ê" * 70, 1),
        ("ê" * 71, 2),
        ("ê" * 201, 3),
    ],
)
def test_it_counts_segments_as_the_network_does(text, expected):
    assert sms_text.segments(text) == expected


@pytest.mark.parametrize("text", ["x" * 10_000, "Привет " * 500, "🖨️" * 400])
def test_any_text_is_cut_to_fit_three_segments(text):
    cut = sms_text.fit(text)

    assert sms_text.segments(cut) <= 3
    assert len(cut) > 100


@given(text=st.text(max_size=1200), end=st.sampled_from(["", " https://desk.gov.test/t/1/"]))
def test_a_cut_text_always_fits_and_keeps_its_end(text, end):
    cut = sms_text.fit(text.strip(), keep_end=end)

    assert sms_text.segments(cut) <= 3
    assert cut.endswith(end)
