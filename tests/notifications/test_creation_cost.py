"""Creating a ticket costs the same queries whatever the size of the team it goes to: every
subscriber of the creation's events (the requester's acknowledgement, the team's notices, the
systems' webhooks, the incident match) runs in a worker after the commit, as the escalation
sweep's do, so the request itself does none of their work."""

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.token_services import api_token_create
from core.broker import broker_state
from core.models import PendingWork
from core.tasks import drain_pending_work
from notifications.models import Kind, Notice
from tests.factories import MembershipFactory, UserFactory


def grow_team(team, agency, size: int) -> None:
    """Agents of the agency on the team until it has `size` members."""
    for number in range(team.members.count(), size):
        agent = UserFactory(email=f"member{number}@mof.gov.test")
        MembershipFactory(user=agent, agency=agency, role=Role.AGENT)
        team.members.add(agent)


def report(category) -> dict:
    return {
        "category": category.pk,
        "subject": "Printer offline",
        "description": "The printer on the second floor shows an error.",
        "impact": "low",
        "urgency": "medium",
    }


@pytest.fixture
def web_report(client, mof_requester, printer_category):
    client.force_login(mof_requester)

    def send():
        response = client.post("/tickets/new/", report(printer_category))
        assert response.status_code == 302, response.content[:500]

    return send


@pytest.fixture
def api_report(mof_requester, printer_category):
    _token, key = api_token_create(user=mof_requester, name="Tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    body = {**report(printer_category), "category": printer_category.slug}

    def send():
        response = client.post("/api/v1/tickets/", body, format="json")
        assert response.status_code == 201, response.content[:500]

    return send


def queries_of(send, committed) -> list[str]:
    """The statements of one report, with what its commit sets off in the same process."""
    with CaptureQueriesContext(connection) as queries, committed():
        send()
    return [query["sql"] for query in queries]


def worker_drain() -> int:
    """What a worker does with the rows queued for it after the commit."""
    return drain_pending_work(sorted(PendingWork.objects.values_list("pk", flat=True)))


# The web form: 4 the page's own (session, user, memberships with their agency and its intake
# team, the services offered, each with its team); 9 the creation's transaction (its savepoint
# and release, which a server counts as BEGIN and COMMIT; the ticket, its event, the pending
# work, its holding, its service level, its number, and one update with its reference, search
# document and clock). After the commit, nothing in the request: the worker is handed the
# pending work's ids through the broker. The API reads its token with its user in one query
# instead of the session and user, and answers the ticket as created, without reading it back.
CREATION_QUERIES = {"web_report": 13, "api_report": 12}
CREATION_QUERIES_AT_MOST = 15


@pytest.mark.parametrize("channel", ["web_report", "api_report"])
def test_it_creates_a_ticket_in_the_same_queries_for_a_team_of_2_and_of_40(
    request, channel, service_desk, mof, committed
):
    send = request.getfixturevalue(channel)
    send()  # the first report of a process reads what later ones find cached
    worker_drain()
    with_2 = queries_of(send, committed)
    grow_team(service_desk, mof, 40)
    with_40 = queries_of(send, committed)
    assert len(with_2) == len(with_40) == CREATION_QUERIES[channel], "\n".join(with_40)
    assert CREATION_QUERIES[channel] <= CREATION_QUERIES_AT_MOST


def test_it_tells_the_whole_team_through_the_worker(
    web_report, service_desk, mof, mof_requester, committed
):
    grow_team(service_desk, mof, 40)
    with committed():
        web_report()
    # Nobody is told in the request, not even the requester: all of it is the worker's.
    assert not Notice.objects.exists()
    assert worker_drain() >= 1
    assert Notice.objects.filter(user=mof_requester, kind=Kind.RECEIVED).count() == 1
    told = Notice.objects.filter(kind=Kind.TICKET_CREATED)
    assert told.count() == 40
    assert set(told.values_list("user", flat=True)) == set(
        service_desk.members.values_list("pk", flat=True)
    )
    assert worker_drain() == 0  # the task delivered twice tells nobody twice
    assert told.count() == 40
    assert Notice.objects.filter(user=mof_requester, kind=Kind.RECEIVED).count() == 1


def test_the_periodic_drain_does_the_creations_work_when_the_broker_is_down(
    web_report, mof_requester, committed, monkeypatch
):
    # The broker refuses the message: the rows wait, and beat's run of the drain does them.
    monkeypatch.setattr(broker_state, "down_until", time.monotonic() + 60)
    with committed():
        web_report()
    assert PendingWork.objects.exists()
    assert not Notice.objects.exists()

    assert drain_pending_work() >= 1  # beat's run: every due row

    assert Notice.objects.filter(user=mof_requester, kind=Kind.RECEIVED).count() == 1
    assert not PendingWork.objects.exists()
