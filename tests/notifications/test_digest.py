"""Daily digests: one e-mail per person and day with the notices that waited for it."""

import threading
import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.schedules import crontab
from django.db import connection
from django.utils import timezone

from mail.models import Outbox
from notifications import notice_services
from notifications.models import Kind, Notice, Preference
from notifications.notice_services import digest_send, digests_send_all
from notifications.services import notify_ticket_event
from notifications.tasks import send_daily_digests
from tickets.models import TicketEvent

MONDAY = date(2026, 11, 23)
TUESDAY = date(2026, 11, 24)


@pytest.fixture
def digest_reader(mof_agent):
    """An agent of the service desk who reads news of new tickets once a day."""
    Preference.objects.create(user=mof_agent, kind=Kind.TICKET_CREATED, mode="digest")
    return mof_agent


def digests() -> list[Outbox]:
    return list(Outbox.objects.filter(dedupe_key__startswith="digest:").order_by("pk"))


def pending(user) -> list[str]:
    return list(
        Notice.objects.filter(user=user, digest_pending=True)
        .order_by("pk")
        .values_list("text", flat=True)
    )


# -- What goes in ---------------------------------------------------------------------------


def test_it_collects_the_waiting_notices_in_one_email_with_links(
    digest_reader, mof_second_agent, service_desk, open_ticket
):
    open_ticket(subject="Printer offline")
    open_ticket(subject="Screen flickers")
    assert digests_send_all(day=MONDAY) == 1
    [digest] = digests()
    assert digest.to_address == "agent@mof.gov.test"
    assert digest.recipient == digest_reader
    assert digest.dedupe_key == f"digest:{digest_reader.pk}:2026-11-23"
    assert digest.subject == "Your GovDesk summary for 23 November 2026"
    text = digest.body_text
    assert "Here are 2 pieces of news from GovDesk since your last summary:" in text
    first = text.index("New ticket MOF-000001 for your team: Printer offline")
    second = text.index("New ticket MOF-000002 for your team: Screen flickers")
    assert first < second
    assert "http://127.0.0.1:8000/tickets/MOF-000001/" in text
    assert "http://127.0.0.1:8000/tickets/MOF-000002/" in text
    assert "http://127.0.0.1:8000/notices/preferences/" in text
    assert '<a href="http://127.0.0.1:8000/tickets/MOF-000002/">' in digest.body_html
    assert pending(digest_reader) == []


def test_it_sends_no_digest_to_those_who_hear_straight_away(
    digest_reader, mof_second_agent, service_desk, open_ticket
):
    open_ticket()
    digests_send_all(day=MONDAY)
    assert [d.to_address for d in digests()] == ["agent@mof.gov.test"]
    # The colleague had the new ticket by e-mail straight away.
    assert Outbox.objects.filter(to_address="agent2@mof.gov.test").count() == 1


def test_it_lists_a_notice_without_a_ticket_with_a_link_to_the_notices_page(mof_agent):
    Notice.objects.create(
        user=mof_agent,
        kind=Kind.TICKET_CREATED,
        text="Something without a ticket",
        created_at=timezone.now(),
        digest_pending=True,
    )
    digest = digest_send(user=mof_agent, day=MONDAY)
    assert "Something without a ticket\n  http://127.0.0.1:8000/notices/\n" in digest.body_text


def test_it_escapes_what_people_wrote_in_the_html_digest(digest_reader, service_desk, open_ticket):
    open_ticket(subject="Screen <b>flickers</b>")
    digest = digest_send(user=digest_reader, day=MONDAY)
    assert "Screen &lt;b&gt;flickers&lt;/b&gt;" in digest.body_html
    assert "Screen <b>flickers</b>" in digest.body_text


def test_it_writes_the_digest_in_the_persons_language(digest_reader, service_desk, open_ticket):
    digest_reader.preferred_language = "fr"
    digest_reader.save(update_fields=["preferred_language"])
    open_ticket()
    digest = digest_send(user=digest_reader, day=MONDAY)
    assert "23 novembre 2026" in digest.subject
    assert '<html lang="fr">' in digest.body_html


def test_it_never_holds_back_an_escalation_for_the_digest(mof_agent, service_desk, open_ticket):
    # Set behind the settings page's back: escalations are mandatory whatever is stored.
    Preference.objects.create(user=mof_agent, kind=Kind.ESCALATION, mode="digest")
    ticket = open_ticket()
    event = TicketEvent.objects.create(
        ticket=ticket,
        kind=TicketEvent.Kind.ESCALATION,
        is_public=False,
        created_at=timezone.now(),
        data={"notify": "team", "breach": True},
    )
    notify_ticket_event(event)
    notice = Notice.objects.get(user=mof_agent, event=event)
    assert notice.digest_pending is False
    assert Outbox.objects.filter(dedupe_key=f"event:{event.pk}:user:{mof_agent.pk}:email")
    assert digests_send_all(day=MONDAY) == 0


def test_it_skips_people_no_longer_active(digest_reader, service_desk, open_ticket):
    open_ticket()
    digest_reader.is_active = False
    digest_reader.save(update_fields=["is_active"])
    assert digests_send_all(day=MONDAY) == 0
    assert digests() == []


# -- Once only ------------------------------------------------------------------------------


def test_it_writes_one_email_when_run_twice_the_same_day(digest_reader, service_desk, open_ticket):
    open_ticket()
    with time_machine.travel(datetime(2026, 11, 23, 7, 0, tzinfo=ZoneInfo("UTC")), tick=False):
        assert send_daily_digests() == 1
        assert send_daily_digests() == 0
    assert len(digests()) == 1


def test_it_keeps_news_that_comes_after_the_days_digest_for_the_next_one(
    digest_reader, service_desk, open_ticket
):
    open_ticket(subject="Printer offline")
    assert digests_send_all(day=MONDAY) == 1
    open_ticket(subject="Screen flickers")
    assert digests_send_all(day=MONDAY) == 0
    assert pending(digest_reader) == ["New ticket MOF-000002 for your team: Screen flickers"]
    assert digests_send_all(day=TUESDAY) == 1
    monday, tuesday = digests()
    assert "Printer offline" in monday.body_text and "Screen flickers" not in monday.body_text
    assert "Screen flickers" in tuesday.body_text and "Printer offline" not in tuesday.body_text


def test_it_clears_exactly_the_notices_it_lists(
    digest_reader, service_desk, open_ticket, monkeypatch
):
    open_ticket(subject="Printer offline")
    render = notice_services.digest_render

    def news_arrives_while_rendering(**kwargs):
        Notice.objects.create(
            user=digest_reader,
            kind=Kind.TICKET_CREATED,
            text="Arrived mid-run",
            created_at=timezone.now(),
            digest_pending=True,
        )
        return render(**kwargs)

    monkeypatch.setattr(notice_services, "digest_render", news_arrives_while_rendering)
    digest = digest_send(user=digest_reader, day=MONDAY)
    assert "Printer offline" in digest.body_text
    assert "Arrived mid-run" not in digest.body_text
    assert pending(digest_reader) == ["Arrived mid-run"]


def test_it_sends_nothing_when_another_run_took_a_notice_first(
    transactional_db, digest_reader, service_desk, open_ticket, monkeypatch
):
    open_ticket(subject="Printer offline")
    open_ticket(subject="Screen flickers")
    listed = notice_services.digest_notices_pending

    def another_run_clears_one(user):
        notices = listed(user)
        # The other run commits on a connection of its own while this one renders.
        clear = threading.Thread(target=clear_on_another_connection, args=[notices[0].pk])
        clear.start()
        clear.join()
        return notices

    monkeypatch.setattr(notice_services, "digest_notices_pending", another_run_clears_one)
    assert digest_send(user=digest_reader, day=MONDAY) is None
    assert digests() == []
    # This run rolled back whole: the notice the other run did not take still waits.
    assert pending(digest_reader) == ["New ticket MOF-000002 for your team: Screen flickers"]


def clear_on_another_connection(notice_id: int) -> None:
    try:
        Notice.objects.filter(pk=notice_id).update(digest_pending=False)
    finally:
        connection.close()


# -- Out the door ---------------------------------------------------------------------------


def test_it_queues_delivery_after_commit_and_the_email_goes_out(
    digest_reader, service_desk, open_ticket, deliver_all, mailoutbox,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    open_ticket()
    with django_capture_on_commit_callbacks() as callbacks:
        digest = digest_send(user=digest_reader, day=MONDAY)
    assert len(callbacks) == 1
    deliver_all()
    [mail] = [m for m in mailoutbox if m.to == ["agent@mof.gov.test"]]
    assert mail.subject == "Your GovDesk summary for 23 November 2026"
    assert mail.extra_headers["Auto-Submitted"] == "auto-generated"
    assert mail.alternatives[0].mimetype == "text/html"
    digest.refresh_from_db()
    assert digest.state == Outbox.State.SENT


def test_it_runs_every_morning_on_beat(settings):
    from helpdesk.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["send-daily-digests"]
    assert entry["task"] in app.tasks
    assert entry["schedule"] == crontab(hour=7, minute=0)


@pytest.mark.worker
@pytest.mark.xdist_group("worker")
def test_it_sends_the_digest_through_the_real_worker(
    celery_worker_process, digest_reader, service_desk, open_ticket
):
    open_ticket()
    send_daily_digests.delay()
    deadline = time.monotonic() + 60
    sent = Outbox.objects.filter(dedupe_key__startswith="digest:", state=Outbox.State.SENT)
    while time.monotonic() < deadline and not sent.exists():
        assert celery_worker_process.poll() is None, "the worker exited"
        time.sleep(0.2)
    assert sent.get().to_address == "agent@mof.gov.test"
    assert pending(digest_reader) == []
