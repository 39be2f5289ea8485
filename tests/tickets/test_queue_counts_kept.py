"""The queue's view counts are kept until the agency's tickets change (tickets/queue_counts.py):
a second look at the queue does not count again, and any change through the ticket services,
a transfer away included, shows on the next page."""

import datetime as dt

import time_machine
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from tests.ops.servers import free_port
from tests.tickets.test_agent_queue_views import (  # the same fixtures and readers
    agent_client,  # noqa: F401
    mof_ticket,  # noqa: F401
    view_count,
)
from tickets import services
from tickets.models import Ticket

NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)


def _queries(client, path: str = "/queue/"):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return response, len(queries)


def test_a_second_look_does_not_count_again(agent_client, mof_ticket):  # noqa: F811
    mof_ticket("Printer offline")
    _first, counted = _queries(agent_client)
    response, kept = _queries(agent_client)
    assert kept == counted - 1
    assert view_count(response, "All open in my agency") == "1"


def test_a_change_through_the_services_shows_on_the_next_page(
    agent_client,  # noqa: F811
    mof_agent,
    mof_ticket,  # noqa: F811
    committed,
):
    ticket = mof_ticket("Printer offline")
    response, _ = _queries(agent_client)
    assert view_count(response, "Mine") == "0"
    with committed():
        services.ticket_assign(ticket=ticket, assignee=mof_agent, actor=mof_agent)
    response, _ = _queries(agent_client)
    assert view_count(response, "Mine") == "1"
    with committed():
        services.ticket_update(ticket=ticket, actor=mof_agent, status=Ticket.Status.CLOSED)
    response, _ = _queries(agent_client)
    assert view_count(response, "Mine") == "0"
    assert view_count(response, "All open in my agency") == "0"


def test_a_transfer_recounts_the_agency_it_leaves(
    client, moh_agent, moh_requester, printer_category, open_ticket, mof, moh, committed
):
    ticket = open_ticket(moh_requester, printer_category, subject="Not ours")
    client.force_login(moh_agent)
    assert view_count(client.get("/queue/"), "All open in my agency") == "1"
    with committed():
        services.ticket_transfer(ticket=ticket, to_agency=mof, reason="Yours", actor=moh_agent)
    assert view_count(client.get("/queue/"), "All open in my agency") == "0"


def test_a_change_made_without_an_event_shows_within_a_minute(agent_client, mof_ticket):  # noqa: F811
    with time_machine.travel(NOW, tick=False) as clock:
        ticket = mof_ticket("Printer offline")
        assert view_count(agent_client.get("/queue/"), "All open in my agency") == "1"
        # Straight in the database, as a repair would: no event is published.
        Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.CLOSED)
        assert view_count(agent_client.get("/queue/"), "All open in my agency") == "1"
        clock.move_to(NOW + dt.timedelta(minutes=1))
        assert view_count(agent_client.get("/queue/"), "All open in my agency") == "0"


def test_without_the_cache_the_counts_are_counted(agent_client, mof_ticket):  # noqa: F811
    mof_ticket("Printer offline")
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    with override_settings(CACHES=unreachable):
        _first, counted = _queries(agent_client)
        second, again = _queries(agent_client)
    assert again == counted
    assert view_count(second, "All open in my agency") == "1"


def test_a_change_while_the_cache_is_unreachable_is_still_made(
    agent_client,  # noqa: F811
    mof_agent,
    mof_ticket,  # noqa: F811
    committed,
    caplog,
):
    ticket = mof_ticket("Printer offline")
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    with override_settings(CACHES=unreachable), committed():
        services.ticket_assign(ticket=ticket, assignee=mof_agent, actor=mof_agent)
    ticket.refresh_from_db()
    assert ticket.assignee == mof_agent
    assert "queue counts: could not mark" in caplog.text
    assert view_count(agent_client.get("/queue/"), "Mine") == "1"
