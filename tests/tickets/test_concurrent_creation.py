"""Tickets created at the same moment, each on its own connection, committed for real: every
reference unique and gap-free per agency, and creators of one agency not queued behind each
other's whole creation."""

import threading
import time

import pytest
from django.db import connection, transaction

from accounts.models import Role
from agencies.models import Team
from core.pending_work import pending_work_drain
from mail.models import Outbox
from notifications.models import Notice
from tests.factories import MembershipFactory, UserFactory
from tickets import services
from tickets.models import Category, Ticket, TicketCounter

THREADS = 8
TICKETS_EACH = 5


def _in_threads(work, count: int) -> list[BaseException]:
    """Runs `work(n)` in `count` threads started together, each closing its own connection;
    returns what they raised."""
    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def run(n: int) -> None:
        try:
            start.wait()
            work(n)
        except BaseException as error:  # noqa: BLE001 - reported by the caller's assertion
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _create(requester, agency, category, subject="Printer"):
    return services.ticket_create(
        requester=requester, requester_agency=agency, category=category,
        subject=subject, description="Broken", impact="low", urgency="low",
    )  # fmt: skip


@pytest.fixture
def busy_requester(mof):
    requester = UserFactory(email="busy@mof.gov.test")
    MembershipFactory(user=requester, agency=mof, role=Role.REQUESTER)
    return requester


@pytest.mark.django_db(transaction=True)
def test_it_numbers_tickets_from_eight_threads_without_duplicate_or_gap(
    mof, busy_requester, mof_agent, mof_service_desk, printer_category
):
    mof_service_desk.members.add(mof_agent)  # told of every new ticket, after each commit
    references: list[str] = []

    def create_several(n: int) -> None:
        for i in range(TICKETS_EACH):
            references.append(
                _create(busy_requester, mof, printer_category, f"Printer {n}.{i}").reference
            )

    assert _in_threads(create_several, THREADS) == []
    total = THREADS * TICKETS_EACH
    expected = [f"MOF-{n:06d}" for n in range(1, total + 1)]
    assert sorted(references) == expected
    assert sorted(Ticket.objects.values_list("reference", flat=True)) == expected
    assert TicketCounter.objects.get(agency=mof).last_number == total
    pending_work_drain()  # the team is told by a worker, as beat's drain would
    # What was written after each commit names the ticket by its final reference.
    notices = list(Notice.objects.select_related("ticket"))
    assert Notice.objects.filter(user=mof_agent).count() == total
    assert all(notice.ticket.reference in notice.text for notice in notices)
    subjects = Outbox.objects.values_list("subject", flat=True)
    assert sorted({s.split("]")[0].lstrip("[") for s in subjects}) == expected


@pytest.mark.django_db(transaction=True)
def test_it_indexes_a_new_ticket_under_its_final_reference(mof, busy_requester, printer_category):
    ticket = _create(busy_requester, mof, printer_category)
    found = Ticket.objects.filter(
        services.search_query_filter(ticket.reference, include_notes=False)
    )
    assert list(found) == [ticket]


@pytest.mark.django_db(transaction=True)
def test_it_lets_a_creator_number_while_another_creation_of_its_agency_is_still_at_work(
    mof, busy_requester, mof_agent, mof_service_desk, printer_category
):
    """One creation waits, mid-way, on its team's row (held here by someone sharing out work);
    another creation for the same agency, in another team, is numbered and committed
    meanwhile. Were the counter taken first, the second would wait for the first."""
    mof_service_desk.assignment = Team.Assignment.ROUND_ROBIN
    mof_service_desk.save(update_fields=["assignment"])
    mof_service_desk.members.add(mof_agent)
    payroll_team = Team.objects.create(agency=mof, name="Payroll")
    payroll = Category.objects.create(
        name="Payroll", slug="mof-payroll", agency=mof, team=payroll_team
    )
    team_held, release = threading.Event(), threading.Event()
    created: dict[str, str] = {}

    def work(n: int) -> None:
        if n == 0:  # holds the service desk's row, as a creation sharing out work would
            with transaction.atomic():
                Team.objects.select_for_update().get(pk=mof_service_desk.pk)
                team_held.set()
                release.wait(timeout=30)
        elif n == 1:  # a printer ticket: stops at the service desk's row
            team_held.wait(timeout=30)
            created["printer"] = _create(busy_requester, mof, printer_category).reference
        else:  # a payroll ticket, once the printer ticket waits; refused after 5 s of waiting
            team_held.wait(timeout=30)
            _wait_until_a_creation_waits_on_a_lock()
            try:
                with transaction.atomic():
                    with connection.cursor() as cursor:
                        cursor.execute("SET LOCAL lock_timeout = '5s'")
                    created["payroll"] = _create(busy_requester, mof, payroll).reference
            finally:
                release.set()

    assert _in_threads(work, 3) == []
    assert created == {"payroll": "MOF-000001", "printer": "MOF-000002"}


def _wait_until_a_creation_waits_on_a_lock() -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.05)
    raise AssertionError("no creation came to wait on the team's row")
