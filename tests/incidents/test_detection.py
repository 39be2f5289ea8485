"""Detection: clusters of recent tickets from several agencies become one proposal, once."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from core.models import AuditEntry
from incidents import services
from incidents.models import ProposedIncident
from incidents.tasks import detect_major_incidents
from tickets.models import Category, Ticket


def test_it_proposes_a_burst_from_several_agencies_once(email_burst, nicta):
    assert services.incidents_detect() == 1

    proposal = ProposedIncident.objects.get()
    assert proposal.basis == "category"
    assert proposal.owner_agency == nicta
    assert (proposal.ticket_count, proposal.agency_count) == (5, 4)
    assert proposal.first_reported_at == email_burst[0].created_at
    assert AuditEntry.objects.filter(action="incident.propose").count() == 1


def test_it_proposes_nothing_twice_when_run_again(email_burst):
    assert detect_major_incidents() == 1
    assert detect_major_incidents() == 0
    assert ProposedIncident.objects.count() == 1


def test_it_does_not_propose_reports_from_too_few_agencies(
    mof_requester, mof_colleague, moh_requester, email_category, open_ticket
):
    for person in [mof_requester, mof_colleague, moh_requester] * 2:
        open_ticket(person, email_category, subject="Cannot send e-mail")

    assert services.incidents_detect() == 0  # six tickets, but only two agencies
    assert not ProposedIncident.objects.exists()


def test_it_does_not_propose_too_few_tickets(reporters, email_category, open_ticket):
    for person in reporters[:4]:
        open_ticket(person, email_category, subject="Cannot send e-mail")

    assert services.incidents_detect() == 0


def test_it_ignores_tickets_older_than_the_window(email_burst, settings):
    Ticket.objects.filter(pk=email_burst[0].pk).update(
        created_at=timezone.now() - timedelta(minutes=settings.INCIDENT_WINDOW_MINUTES + 1)
    )

    assert services.incidents_detect() == 0  # four left in the window


def test_it_does_not_cluster_a_service_each_agency_handles_itself(
    reporters, printer_category, mof_service_desk, open_ticket
):
    subjects = ["Printer jam", "Screen flickers", "Mouse broken", "Keyboard sticky", "Slow PC"]
    for person, subject in zip(reporters, subjects, strict=True):
        open_ticket(person, printer_category, subject=subject, description=f"{subject}.")

    assert services.incidents_detect() == 0


def test_it_clusters_similar_subjects_across_services(
    reporters, printer_category, email_category, mof_service_desk, open_ticket
):
    # People pick whatever service when the network is down; their words still agree.
    for n, person in enumerate(reporters):
        category = printer_category if n % 2 else email_category
        open_ticket(person, category, subject="The network is down in our building")
    # One of them is government e-mail's, which alone would be too few: similarity finds all.

    assert services.incidents_detect() == 1
    proposal = ProposedIncident.objects.get()
    assert proposal.basis == "similar"
    assert proposal.ticket_count == 5
    assert proposal.category == email_category  # three of the five


def test_it_adds_new_reports_to_the_proposal_still_waiting(
    email_burst, email_category, open_ticket, moh_head
):
    services.incidents_detect()
    open_ticket(moh_head, email_category, subject="Mail down here too")

    assert services.incidents_detect() == 0
    proposal = ProposedIncident.objects.get()
    assert proposal.ticket_count == 6


def test_it_never_proposes_the_tickets_of_a_dismissed_proposal_again(email_burst, nicta_agent):
    services.incidents_detect()
    services.proposal_dismiss(proposal=ProposedIncident.objects.get(), actor=nicta_agent)

    assert services.incidents_detect() == 0
    assert ProposedIncident.objects.get().state == "dismissed"


def test_it_leaves_a_gov_wide_cluster_without_owner_to_platform_admins(
    reporters, printer_category, mof_service_desk, open_ticket
):
    for person in reporters:
        open_ticket(person, printer_category, subject="The network is down in our building")

    services.incidents_detect()

    assert ProposedIncident.objects.get().owner_agency is None


@pytest.mark.django_db(transaction=True)
def test_it_proposes_once_when_two_runs_start_at_once(email_burst):
    results, start = [], threading.Barrier(2)

    def run():
        try:
            start.wait()
            results.append(services.incidents_detect())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [0, 1]
    assert ProposedIncident.objects.count() == 1


@pytest.mark.worker
@pytest.mark.xdist_group("worker")
def test_it_detects_through_the_real_worker_once_however_often_queued(
    email_burst, celery_worker_process
):
    detect_major_incidents.delay()
    detect_major_incidents.delay()
    from core.models import SchedulerHeartbeat
    from core.tasks import record_scheduler_heartbeat

    record_scheduler_heartbeat.delay()  # queued last: once it ran, the worker ran all before
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not SchedulerHeartbeat.objects.exists():
        assert celery_worker_process.poll() is None, "the worker exited"
        time.sleep(0.2)

    assert SchedulerHeartbeat.objects.exists()
    proposal = ProposedIncident.objects.get()
    assert proposal.ticket_count == 5
    assert Category.objects.get(pk=proposal.category_id).slug == "government-email"
