"""A mail server's permanent refusal fails the outbox row at once, with the server's reason;
a temporary one keeps the backoff. Through a real SMTP server on loopback."""

from datetime import timedelta

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.utils import timezone

from mail.delivery import outbox_deliver
from mail.models import Outbox
from tests.notifications.conftest import free_port


class Refusing:
    """Refuses every recipient with the reply it is given."""

    def __init__(self, reply: str):
        self.reply = reply

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return self.reply


@pytest.fixture
def refusing_server(settings):
    def start(reply: str) -> None:
        controller = Controller(Refusing(reply), hostname="127.0.0.1", port=free_port())
        controller.start()
        started.append(controller)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 5

    started = []
    yield start
    for controller in started:
        controller.stop()


@pytest.fixture
def message(db):
    """An e-mail waiting in the outbox, as a notice writes it."""
    now = timezone.now()
    return Outbox.objects.create(
        to_address="nobody@mof.gov.test",
        subject="MOF-000001 is assigned to you",
        body_text="Printer offline",
        dedupe_key="test:permanent-failure",
        created_at=now,
        next_attempt_at=now,
    )


def test_it_fails_a_550_rejection_at_once_with_its_reason(message, refusing_server):
    refusing_server("550 5.1.1 No such mailbox here")
    assert outbox_deliver(outbox_id=message.pk) is False
    failed = Outbox.objects.get(pk=message.pk)
    assert (failed.state, failed.attempts) == ("failed", 1)
    assert "550" in failed.last_error and "No such mailbox here" in failed.last_error
    assert message.to_address in failed.last_error
    assert failed.next_attempt_at is None


def test_it_keeps_the_backoff_for_a_temporary_refusal(message, refusing_server):
    refusing_server("451 4.3.0 Try again later")
    with time_machine.travel(timezone.now(), tick=False):
        assert outbox_deliver(outbox_id=message.pk) is False
        waiting = Outbox.objects.get(pk=message.pk)
        assert (waiting.state, waiting.attempts) == ("pending", 1)
        assert waiting.next_attempt_at == timezone.now() + timedelta(seconds=30)
