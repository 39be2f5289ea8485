"""Retention: closed tickets past their agency's period lose their personal data, once, and
every figure the dashboards show stays as it was."""

import os
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.models import AuditEntry
from mail.models import Outbox
from privacy.models import RetentionMark, RetentionPolicy
from privacy.services import legal_hold_place, retention_apply, retention_policy_set
from privacy.tasks import apply_retention
from reports.models import DailyRollup, ReportFact
from reports.services import rollup_refresh_tickets
from tickets import services
from tickets.models import Attachment, Ticket, TicketEvent


def _close(ticket, person, committed, *, days_ago):
    with committed():
        services.ticket_close_by_requester(ticket=ticket, actor=person)
    Ticket.objects.filter(pk=ticket.pk).update(closed_at=timezone.now() - timedelta(days=days_ago))


def _figures(ticket):
    """Facts and rollups as the dashboards' own refresh computes them from the ticket now."""
    rollup_refresh_tickets(ticket_ids=[ticket.pk])

    def rows(model):
        return sorted(
            (tuple(sorted((k, str(v)) for k, v in row.items() if k not in ("id", "updated_at"))))
            for row in model.objects.values()
        )

    return rows(ReportFact), rows(DailyRollup)


@pytest.fixture
def old_ticket(open_ticket, mof_requester, mof_agent, attach, committed):
    with committed():
        ticket = open_ticket(
            mof_requester, subject="Payslip for Musu Kollie", description="Call me on 0777 123 456"
        )
        services.ticket_reply(ticket=ticket, author=mof_agent, body="Done.", as_agent=True)
    attach(ticket, by=mof_requester, name="payslip.txt", content=b"salary of Musu")
    _close(ticket, mof_requester, committed, days_ago=4 * 365)
    return ticket


def test_it_removes_the_personal_data_of_an_old_closed_ticket(
    old_ticket, mof_requester, django_capture_on_commit_callbacks
):
    path = old_ticket.attachments.get().file.path
    with django_capture_on_commit_callbacks(execute=True):
        assert retention_apply() == 1
    old_ticket.refresh_from_db()
    assert (old_ticket.subject, old_ticket.description) == ("[removed]", "")
    assert old_ticket.requester != mof_requester
    assert not Attachment.objects.filter(ticket=old_ticket).exists()
    bodies = TicketEvent.objects.filter(ticket=old_ticket, kind__in=["created", "reply"])
    assert set(bodies.values_list("body", flat=True)) == {""}
    assert old_ticket.events.filter(kind=TicketEvent.Kind.PERSONAL_DATA).count() == 1
    assert AuditEntry.objects.filter(action="privacy.retention_applied").count() == 1
    assert not os.path.exists(path)
    mail = Outbox.objects.filter(ticket=old_ticket)
    assert mail.exists() and not mail.filter(body_text__icontains="Kollie").exists()
    assert not mail.filter(to_address=mof_requester.email).exists()


def test_it_acts_once_when_run_twice_and_leaves_every_figure_unchanged(
    old_ticket, django_capture_on_commit_callbacks
):
    before = _figures(old_ticket)
    assert before[0], "the dashboards count this ticket"
    assert before[1], "and roll it up"
    with django_capture_on_commit_callbacks(execute=True):
        assert apply_retention() == 1
        assert apply_retention() == 0
    assert RetentionMark.objects.count() == 1
    assert old_ticket.events.filter(kind=TicketEvent.Kind.PERSONAL_DATA).count() == 1
    assert _figures(old_ticket) == before


def test_it_keeps_a_ticket_inside_its_agencys_period(
    open_ticket, mof_requester, mof, committed, mof_head
):
    ticket = open_ticket(mof_requester)
    _close(ticket, mof_requester, committed, days_ago=100)
    assert retention_apply() == 0
    retention_policy_set(agency=mof, keep_days=90, actor=mof_head)
    assert retention_apply() == 1


def test_it_keeps_an_open_ticket_however_old(open_ticket, mof_requester):
    ticket = open_ticket(mof_requester)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=timezone.now() - timedelta(days=5000))
    assert retention_apply() == 0


def test_a_legal_hold_on_the_ticket_stops_it(old_ticket, mof_dpo):
    legal_hold_place(actor=mof_dpo, reason="Court case 12/2026", ticket=old_ticket)
    assert retention_apply() == 0
    assert Ticket.objects.get(pk=old_ticket.pk).subject == "Payslip for Musu Kollie"


def test_a_legal_hold_on_the_person_stops_it(old_ticket, mof_dpo, mof_requester):
    legal_hold_place(actor=mof_dpo, reason="Audit inquiry", person=mof_requester)
    assert retention_apply() == 0


def test_it_refuses_a_period_under_thirty_days(mof, mof_head):
    with pytest.raises(ValidationError):
        retention_policy_set(agency=mof, keep_days=29, actor=mof_head)
    assert not RetentionPolicy.objects.exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        RetentionPolicy.objects.create(agency=mof, keep_days=10)


def test_the_retention_page_refuses_a_short_period_with_a_clear_message(client, mof_head, mof):
    client.force_login(mof_head)
    response = client.post("/privacy/retention/MOF/", {"keep_days": "7"})
    assert response.status_code == 400
    assert "at least 30 days" in response.content.decode()
    assert not RetentionPolicy.objects.exists()
    response = client.post("/privacy/retention/MOF/", {"keep_days": "400"})
    assert response.status_code == 302
    assert RetentionPolicy.objects.get(agency=mof).keep_days == 400


def test_the_retention_page_is_not_another_agencys(client, moh_head, mof):
    client.force_login(moh_head)
    assert client.get("/privacy/retention/MOF/").status_code == 404
