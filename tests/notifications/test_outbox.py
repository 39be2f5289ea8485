"""Once-only delivery: the outbox row's state decides, whatever the broker and workers do."""

import logging
import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from core.models import AuditEntry, SchedulerHeartbeat
from core.tasks import record_scheduler_heartbeat
from mail.delivery import (
    MAX_ATTEMPTS,
    outbox_deliver,
    outbox_requeue_unsent,
    outbox_retry,
)
from mail.models import Outbox
from mail.tasks import deliver_outbox, requeue_unsent
from notifications.models import Preference
from tests.notifications.conftest import free_port, queue_empty, queued_outbox_ids

pytestmark = pytest.mark.usefixtures("service_desk")


@pytest.fixture
def message(open_ticket, mof_agent):
    """The e-mail telling the first agent of a new ticket, not sent yet. The ticket's commit
    queued its delivery; that task is dropped, so a test sees in the queue only what it
    queues itself."""
    ticket = open_ticket()
    message = Outbox.objects.get(ticket=ticket, to_address=mof_agent.email)
    assert message.pk in queued_outbox_ids()
    queue_empty()
    return message


@pytest.fixture
def smtp_down(settings):
    """Django's SMTP backend, pointed at a port where no server listens."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5


def fresh(outbox: Outbox) -> Outbox:
    return Outbox.objects.get(pk=outbox.pk)


# -- Once ------------------------------------------------------------------------------------


def test_it_sends_once_however_often_delivery_runs(message, mail_to_smtp):
    assert outbox_deliver(outbox_id=message.pk) is True
    assert outbox_deliver(outbox_id=message.pk) is False
    assert len(mail_to_smtp.envelopes) == 1
    sent = fresh(message)
    assert (sent.state, sent.attempts, sent.last_error) == ("sent", 1, "")
    assert sent.sent_at is not None


def test_it_sends_once_when_the_task_runs_twice(message, mail_to_smtp):
    deliver_outbox.apply(args=[message.pk])
    deliver_outbox.apply(args=[message.pk])
    assert len(mail_to_smtp.messages_to("agent@mof.gov.test")) == 1
    assert fresh(message).state == "sent"


def test_it_sends_nothing_for_a_row_another_worker_is_sending(message, mail_to_smtp):
    Outbox.objects.filter(pk=message.pk).update(state=Outbox.State.SENDING)
    assert outbox_deliver(outbox_id=message.pk) is False
    assert mail_to_smtp.envelopes == []


# -- Failures and retries --------------------------------------------------------------------


def test_it_records_a_failure_and_backs_off(message, smtp_down):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        first_try = timezone.now()
        assert outbox_deliver(outbox_id=message.pk) is False
        failed = fresh(message)
        assert (failed.state, failed.attempts) == ("pending", 1)
        assert failed.last_error.startswith("ConnectionRefusedError")
        assert failed.next_attempt_at == first_try + timedelta(seconds=30)

        traveller.shift(timedelta(seconds=30))
        assert outbox_deliver(outbox_id=message.pk) is False
        again = fresh(message)
        assert again.attempts == 2
        assert again.next_attempt_at == timezone.now() + timedelta(seconds=60)


def test_it_queues_a_failed_row_again_when_its_backoff_ends(message, smtp_down):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        outbox_deliver(outbox_id=message.pk)
    with time_machine.travel(start + timedelta(seconds=29), tick=False):
        assert outbox_requeue_unsent() == 0
    with time_machine.travel(start + timedelta(seconds=31), tick=False):
        assert outbox_requeue_unsent() == 1
    assert queued_outbox_ids() == [message.pk]


def test_it_gives_a_new_rows_own_task_two_minutes_before_queueing_it_again(message):
    start = message.created_at
    with time_machine.travel(start + timedelta(seconds=90), tick=False):
        assert outbox_requeue_unsent() == 0
    with time_machine.travel(start + timedelta(minutes=2, seconds=1), tick=False):
        # Both agents' messages and the requester's acknowledgement.
        assert outbox_requeue_unsent() == 3
    assert message.pk in queued_outbox_ids()


def test_it_queues_again_a_row_whose_worker_died_while_sending(message):
    Outbox.objects.filter(pk=message.pk).update(
        state=Outbox.State.SENDING, attempts=1, next_attempt_at=timezone.now()
    )
    Outbox.objects.exclude(pk=message.pk).update(state=Outbox.State.SENT)
    with time_machine.travel(timezone.now() + timedelta(minutes=9), tick=False):
        assert outbox_requeue_unsent() == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=11), tick=False):
        assert outbox_requeue_unsent() == 1
    assert fresh(message).state == "pending"
    assert queued_outbox_ids() == [message.pk]


def test_it_gives_up_after_the_last_attempt(message, smtp_down):
    for _attempt in range(MAX_ATTEMPTS):
        outbox_deliver(outbox_id=message.pk)
    failed = fresh(message)
    assert (failed.state, failed.attempts, failed.next_attempt_at) == ("failed", MAX_ATTEMPTS, None)
    assert outbox_deliver(outbox_id=message.pk) is False
    assert fresh(message).attempts == MAX_ATTEMPTS
    with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
        outbox_requeue_unsent()
    assert message.pk not in queued_outbox_ids()


def test_it_sends_a_failed_message_when_an_admin_retries_it(
    message, settings, smtp_server, platform_admin, django_capture_on_commit_callbacks
):
    Outbox.objects.filter(pk=message.pk).update(
        state=Outbox.State.FAILED, attempts=MAX_ATTEMPTS, last_error="ConnectionRefusedError"
    )
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server.port
    settings.EMAIL_USE_TLS = False
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_retry(outbox=fresh(message), actor=platform_admin) is True
    assert fresh(message).attempts == 0
    assert queued_outbox_ids() == [message.pk]
    deliver_outbox.apply(args=[message.pk])  # what the worker does with the queued task
    assert fresh(message).state == "sent"
    assert len(smtp_server.messages_to("agent@mof.gov.test")) == 1
    entry = AuditEntry.objects.get(action="outbox.retried")
    assert entry.actor == platform_admin


def test_it_retries_only_a_failed_message(message, platform_admin):
    assert outbox_retry(outbox=message, actor=platform_admin) is False
    assert fresh(message).state == "pending"
    assert not AuditEntry.objects.filter(action="outbox.retried").exists()


# -- A broker outage, through a real worker --------------------------------------------------


def wait_until(condition, worker, *, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not condition():
        assert worker.poll() is None, "the worker exited"
        time.sleep(0.2)
    assert condition()


@pytest.mark.worker
@pytest.mark.xdist_group("worker")
def test_it_loses_no_message_while_the_broker_is_down(
    transactional_db,
    request,
    monkeypatch,
    open_ticket,
    mof_agent,
    smtp_server,
    throwaway_broker,
    celery_broker,
    caplog,
):
    celery_broker(throwaway_broker.url)
    throwaway_broker.stop()

    ticket = open_ticket()  # commits: its messages' tasks cannot be queued

    assert ticket.reference == "MOF-000001"
    rows = Outbox.objects.filter(ticket=ticket)
    # The team's two and the requester's acknowledgement.
    assert sorted(rows.values_list("state", "attempts")) == [("pending", 0)] * 3
    # The first refusal is enough: the next messages do not wait on the dead broker. The
    # first is the creation's, handing its subscribers to the worker; the messages' own follow.
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.name == "core.broker" and r.levelno == logging.WARNING
    ]
    assert len(warnings) == 1
    assert warnings[0].startswith("Broker unavailable; core.tasks.drain_pending_work(")
    skipped = [r.getMessage() for r in caplog.records if r.name == "core.broker"]
    first = rows.order_by("pk")[0].pk
    assert (
        f"Broker unavailable; mail.tasks.deliver_outbox({first},) waits for its periodic drain"
        in skipped
    )

    # Redis comes back, empty; a worker starts, sending to the real SMTP server.
    throwaway_broker.start()
    monkeypatch.setenv("REDIS_URL", throwaway_broker.url)
    monkeypatch.setenv("EMAIL_URL", f"smtp://127.0.0.1:{smtp_server.port}?tls=false")
    worker = request.getfixturevalue("celery_worker_process")
    celery_broker(throwaway_broker.url)
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        assert requeue_unsent() == 3  # beat's periodic run, in this process
    message = rows.get(to_address=mof_agent.email)
    deliver_outbox.delay(message.pk)  # a duplicate, as a redelivered task would be
    record_scheduler_heartbeat.delay()  # queued last: once it ran, the worker ran all before

    wait_until(lambda: SchedulerHeartbeat.objects.exists(), worker)
    assert sorted(rows.values_list("state", flat=True)) == ["sent"] * 3
    assert len(smtp_server.messages_to("agent@mof.gov.test")) == 1
    assert len(smtp_server.messages_to("agent2@mof.gov.test")) == 1
    assert len(smtp_server.messages_to("requester@mof.gov.test")) == 1
    assert len(smtp_server.envelopes) == 3


# -- The outbox page -------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, platform_admin):
    client.force_login(platform_admin)
    return client


def make_rows(number: int, *, state=Outbox.State.SENT, **fields) -> list[Outbox]:
    now = timezone.now()
    return Outbox.objects.bulk_create(
        Outbox(
            to_address=f"person{n}@mof.gov.test", subject=f"[MOF-{n:06d}] Printer {n}",
            state=state, dedupe_key=f"test:{state}:{n}", created_at=now - timedelta(minutes=n),
            **fields,
        )
        for n in range(number)
    )  # fmt: skip


def outbox_page(client, django_assert_num_queries, query=""):
    # 1 session, 1 user, 1 memberships (header), 1 unread notices (header), 1 count (pages),
    # 1 page of messages.
    with django_assert_num_queries(6):
        response = client.get(f"/outbox/{query}")
    assert response.status_code == 200
    return response


def test_it_lists_the_outbox_for_a_platform_admin(admin_client, message, django_assert_num_queries):
    Outbox.objects.filter(pk=message.pk).update(
        state=Outbox.State.FAILED, attempts=8, last_error="ConnectionRefusedError: refused"
    )
    page = outbox_page(admin_client, django_assert_num_queries).content.decode()
    assert "agent@mof.gov.test" in page
    assert "[MOF-000001] Printer offline" in page
    assert "ConnectionRefusedError: refused" in page
    assert f'action="/outbox/{message.pk}/retry/"' in page
    assert "3 messages" in page  # the team's two, the requester's acknowledgement


def test_it_lists_a_page_of_many_messages_in_the_same_number_of_queries(
    admin_client, django_assert_num_queries
):
    make_rows(60)
    response = outbox_page(admin_client, django_assert_num_queries)
    assert len(response.context["page_obj"].object_list) == 50
    assert "Page 1 of 2" in response.content.decode()
    second = outbox_page(admin_client, django_assert_num_queries, "?page=2")
    assert len(second.context["page_obj"].object_list) == 10


def test_it_filters_the_outbox_by_state(admin_client, django_assert_num_queries):
    make_rows(3, state=Outbox.State.SENT)
    failed = make_rows(2, state=Outbox.State.FAILED, last_error="SMTPRecipientsRefused")
    response = outbox_page(admin_client, django_assert_num_queries, "?state=failed")
    assert {row.pk for row in response.context["page_obj"]} == {row.pk for row in failed}
    assert "2 messages" in response.content.decode()


def test_it_shows_everything_for_a_state_it_does_not_know(admin_client):
    make_rows(2)
    response = admin_client.get("/outbox/?state=lost")
    assert response.status_code == 200
    assert len(response.context["page_obj"].object_list) == 2
    assert "error-summary" in response.content.decode()


def test_it_offers_retry_on_failed_messages_only(admin_client):
    [sent] = make_rows(1, state=Outbox.State.SENT)
    [failed] = make_rows(1, state=Outbox.State.FAILED)
    page = admin_client.get("/outbox/").content.decode()
    assert f'action="/outbox/{failed.pk}/retry/"' in page
    assert f'action="/outbox/{sent.pk}/retry/"' not in page


def test_it_retries_a_failed_message_from_the_page(
    admin_client, message, django_capture_on_commit_callbacks
):
    Outbox.objects.filter(pk=message.pk).update(state=Outbox.State.FAILED, attempts=8)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/outbox/{message.pk}/retry/", {"next": "/outbox/?state=failed"}
        )
    assert response.status_code == 302
    assert response.url == "/outbox/?state=failed"
    assert (fresh(message).state, fresh(message).attempts) == ("pending", 0)
    assert queued_outbox_ids() == [message.pk]
    page = admin_client.get(response.url).content.decode()
    assert "The message to agent@mof.gov.test is queued to be sent again." in page


def test_it_refuses_to_retry_a_message_that_has_not_failed(admin_client, message):
    response = admin_client.post(f"/outbox/{message.pk}/retry/", follow=True)
    assert "has not failed, so there is nothing to retry" in response.content.decode()
    assert fresh(message).state == "pending"


@pytest.mark.parametrize("person", ["mof_head", "mof_agent", "council_member", "mof_requester"])
def test_it_refuses_the_outbox_to_everyone_but_platform_admins(client, request, message, person):
    Outbox.objects.filter(pk=message.pk).update(state=Outbox.State.FAILED)
    client.force_login(request.getfixturevalue(person))
    assert client.get("/outbox/").status_code == 403
    # As for every route with an id: not found, whether the row exists or not.
    assert client.post(f"/outbox/{message.pk}/retry/").status_code == 404
    assert client.post(f"/outbox/{message.pk + 1000}/retry/").status_code == 404
    assert fresh(message).state == "failed"


def test_it_sends_the_signed_out_to_sign_in(client, message):
    response = client.get("/outbox/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


# -- The Django admin ------------------------------------------------------------------------


def test_it_shows_a_message_in_the_django_admin_without_a_way_to_change_it(admin_client, message):
    assert admin_client.get("/django-admin/mail/outbox/").status_code == 200
    page = admin_client.get(f"/django-admin/mail/outbox/{message.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert admin_client.get("/django-admin/mail/outbox/add/").status_code == 403


def test_it_retries_failed_messages_from_the_django_admin(
    admin_client, message, django_capture_on_commit_callbacks
):
    [sent] = make_rows(1, state=Outbox.State.SENT)
    Outbox.objects.filter(pk=message.pk).update(state=Outbox.State.FAILED, attempts=8)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/django-admin/mail/outbox/",
            {"action": "retry", "_selected_action": [message.pk, sent.pk]},
            follow=True,
        )
    page = response.content.decode()
    assert "1 message is queued to be sent again." in page
    assert "1 message had not failed and was left alone." in page
    assert fresh(message).state == "pending"
    assert fresh(sent).state == "sent"
    assert queued_outbox_ids() == [message.pk]


def test_it_lists_notices_and_preferences_in_the_django_admin(admin_client, message, mof_agent):
    Preference.objects.create(user=mof_agent, kind="ticket_created", mode="digest")
    assert admin_client.get("/django-admin/notifications/notice/").status_code == 200
    assert admin_client.get("/django-admin/notifications/preference/").status_code == 200
