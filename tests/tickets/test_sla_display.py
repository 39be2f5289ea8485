"""The service-level clocks on the ticket page and in its history, in words, as each persona
sees them. A government-wide P4 policy counted around the clock keeps every time exact."""

import datetime as dt
import html
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from service_levels.models import SLAPolicy
from tickets import services
from tickets.models import Ticket, TicketEvent
from tickets.templatetags.sla_display import duration_words

# A Tuesday.
START = dt.datetime(2026, 11, 24, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def p4_policy(db):
    """First response within an hour, resolution within four, counted around the clock."""
    return SLAPolicy.objects.create(
        agency=None,
        priority="P4",
        response_minutes=60,
        resolution_minutes=240,
        business_hours=False,
    )


@pytest.fixture
def clock():
    """Time stands still at START until a test moves it."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def ticket(clock, p4_policy, open_ticket, mof_requester, printer_category, mof_service_desk):
    """A P4 ticket reported at START: first response due 09:00, resolution due 12:00."""
    return open_ticket(mof_requester, printer_category)


def clocks(response) -> dict[str, str]:
    """The service-level section as {clock: what it says}, tags removed."""
    page = response.content.decode()
    section = re.search(r'<section class="sla".*?</section>', page, re.S).group(0)
    pairs = re.findall(r"<dt>(.*?)</dt>\s*<dd[^>]*>(.*?)</dd>", section, re.S)
    return {label: _words(said) for label, said in pairs}


def _words(fragment: str) -> str:
    text = " ".join(re.sub(r"<[^>]+>", " ", fragment).split())
    return html.unescape(re.sub(r" ([.,)])", r"\1", text))


def page_text(response) -> str:
    return _words(response.content.decode())


def get(client, user, ticket):
    client.force_login(user)
    response = client.get(f"/tickets/{ticket.reference}/")
    assert response.status_code == 200
    return response


# -- Lengths of time in words ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "words"),
    [
        (dt.timedelta(seconds=59), "less than a minute"),
        (dt.timedelta(minutes=1), "1 minute"),
        (dt.timedelta(minutes=45, seconds=59), "45 minutes"),
        (dt.timedelta(hours=1), "1 hour"),
        (dt.timedelta(hours=2, minutes=10), "2 hours 10 minutes"),
        (dt.timedelta(days=1, minutes=5), "1 day"),
        (dt.timedelta(days=3, hours=4, minutes=5), "3 days 4 hours"),
    ],
)
def test_it_says_lengths_of_time_in_their_two_largest_units(length, words):
    assert duration_words(length) == words


def test_it_says_lengths_of_time_briefly_for_the_queue():
    assert duration_words(dt.timedelta(minutes=40), short=True) == "40 min"
    assert duration_words(dt.timedelta(hours=2, minutes=5), short=True) == "2 h 5 min"
    assert duration_words(dt.timedelta(days=2), short=True) == "2 d"


# -- The clocks on the ticket page ----------------------------------------------------------


def test_it_says_how_long_until_each_clock_is_due(client, clock, mof_requester, ticket):
    clock.shift(dt.timedelta(minutes=50))
    response = get(client, mof_requester, ticket)
    assert clocks(response) == {
        "First response": "due in 10 minutes (by 24 November 2026, 09:00)",
        "Resolution": "due in 3 hours 10 minutes (by 24 November 2026, 12:00)",
    }
    page = response.content.decode()
    assert '<time datetime="2026-11-24T09:00:00+00:00">24 November 2026, 09:00</time>' in page
    assert '<time datetime="2026-11-24T12:00:00+00:00">24 November 2026, 12:00</time>' in page


def test_it_shows_the_clocks_to_agents_too(client, clock, mof_agent, ticket):
    assert clocks(get(client, mof_agent, ticket)) == {
        "First response": "due in 1 hour (by 24 November 2026, 09:00)",
        "Resolution": "due in 4 hours (by 24 November 2026, 12:00)",
    }


def test_it_shows_due_times_in_the_handling_agencys_time_zone(
    client, clock, mof, mof_requester, ticket
):
    mof.time_zone = "Africa/Nairobi"  # three hours ahead of UTC
    mof.save(update_fields=["time_zone"])
    response = get(client, mof_requester, ticket)
    assert clocks(response)["First response"] == "due in 1 hour (by 24 November 2026, 12:00)"
    page = response.content.decode()
    assert '<time datetime="2026-11-24T12:00:00+03:00">24 November 2026, 12:00</time>' in page
    # The rest of the page agrees: reported at 08:00 UTC, 11:00 in Nairobi.
    assert '<time datetime="2026-11-24T11:00:00+03:00">' in page


def test_it_writes_due_times_in_french_with_lower_case_months(client, clock, mof_requester, ticket):
    User.objects.filter(pk=mof_requester.pk).update(preferred_language="fr")
    response = get(client, mof_requester, ticket)
    assert clocks(response)["Première réponse"] == (
        "échéance dans 1 heure (au plus tard le 24 novembre 2026, 09:00)"
    )


def test_it_shows_the_year_of_a_due_time_in_another_year(
    client, mof_requester, open_ticket, printer_category, p4_policy
):
    with time_machine.travel(dt.datetime(2026, 12, 31, 22, 0, tzinfo=dt.UTC), tick=False):
        ticket = open_ticket(mof_requester, printer_category)
        response = get(client, mof_requester, ticket)
    assert clocks(response)["Resolution"] == "due in 4 hours (by 1 January 2027, 02:00)"


def test_it_says_how_long_a_clock_is_overdue(client, clock, mof_requester, ticket):
    clock.shift(dt.timedelta(hours=1, minutes=45))
    assert clocks(get(client, mof_requester, ticket)) == {
        "First response": "overdue by 45 minutes (was due 24 November 2026, 09:00)",
        "Resolution": "due in 2 hours 15 minutes (by 24 November 2026, 12:00)",
    }


def test_it_says_the_first_response_was_met(client, clock, mof_requester, mof_agent, ticket):
    clock.shift(dt.timedelta(minutes=50))
    services.ticket_reply(ticket=ticket, author=mof_agent, body="On my way.", as_agent=True)
    clock.shift(dt.timedelta(hours=1))
    assert clocks(get(client, mof_requester, ticket)) == {
        "First response": "met (answered after 50 minutes)",
        "Resolution": "due in 2 hours 10 minutes (by 24 November 2026, 12:00)",
    }


def test_it_says_the_first_response_was_missed(client, clock, mof_requester, mof_agent, ticket):
    clock.shift(dt.timedelta(hours=1, minutes=5))
    services.ticket_reply(
        ticket=ticket, author=mof_agent, body="Sorry for the wait.", as_agent=True
    )
    assert Ticket.objects.get(pk=ticket.pk).response_breached
    assert clocks(get(client, mof_requester, ticket))["First response"] == (
        "missed (answered after 1 hour 5 minutes)"
    )


def test_it_says_a_first_response_marked_breached_was_missed(
    client, clock, mof_requester, mof_agent, ticket
):
    # An escalation may mark the breach; the answer then counts as missed whenever it came.
    Ticket.objects.filter(pk=ticket.pk).update(response_breached=True)
    clock.shift(dt.timedelta(minutes=30))
    services.ticket_reply(ticket=ticket, author=mof_agent, body="Looking.", as_agent=True)
    assert clocks(get(client, mof_requester, ticket))["First response"] == (
        "missed (answered after 30 minutes)"
    )


def test_it_says_a_paused_clock_waits_for_the_requester(
    client, clock, mof_requester, mof_agent, ticket
):
    clock.shift(dt.timedelta(minutes=30))
    services.ticket_update(ticket=ticket, actor=mof_agent, status=Ticket.Status.PENDING)
    clock.shift(dt.timedelta(hours=3))
    paused = "paused since 24 November 2026, 08:30 while waiting for the requester"
    response = get(client, mof_requester, ticket)
    assert clocks(response) == {"First response": paused, "Resolution": paused}
    assert '<time datetime="2026-11-24T08:30:00+00:00">' in response.content.decode()


def test_it_counts_on_from_where_it_paused(client, clock, mof_requester, mof_agent, ticket):
    clock.shift(dt.timedelta(minutes=30))
    services.ticket_update(ticket=ticket, actor=mof_agent, status=Ticket.Status.PENDING)
    clock.shift(dt.timedelta(hours=3))
    client.force_login(mof_requester)
    client.post(f"/tickets/{ticket.reference}/reply/", {"body": "Here is the error code."})
    # 30 minutes used before the pause: 30 left for the response, 3 1/2 hours to resolve.
    assert clocks(get(client, mof_requester, ticket)) == {
        "First response": "due in 30 minutes (by 24 November 2026, 12:00)",
        "Resolution": "due in 3 hours 30 minutes (by 24 November 2026, 15:00)",
    }


def test_it_says_the_resolution_was_met(client, clock, mof_requester, mof_agent, ticket):
    clock.shift(dt.timedelta(minutes=20))
    services.ticket_reply(ticket=ticket, author=mof_agent, body="Replacing it.", as_agent=True)
    clock.shift(dt.timedelta(hours=2, minutes=40))
    services.ticket_update(ticket=ticket, actor=mof_agent, status=Ticket.Status.RESOLVED)
    clock.shift(dt.timedelta(days=2))
    assert clocks(get(client, mof_requester, ticket)) == {
        "First response": "met (answered after 20 minutes)",
        "Resolution": "met (resolved after 3 hours)",
    }


def test_it_says_the_resolution_was_breached(client, clock, mof_requester, mof_agent, ticket):
    clock.shift(dt.timedelta(hours=5))
    services.ticket_update(ticket=ticket, actor=mof_agent, status=Ticket.Status.RESOLVED)
    assert clocks(get(client, mof_requester, ticket)) == {
        "First response": "missed (no reply before it was resolved)",
        "Resolution": "breached (resolved after 5 hours)",
    }


def test_it_judges_a_resolution_by_when_its_clock_stopped(
    client, clock, mof_requester, mof_agent, ticket
):
    # Resolved while waiting for the requester: the clock stopped at the pause, after the due
    # time here, and tickets.sla leaves the breach unmarked on that path.
    clock.shift(dt.timedelta(hours=5))
    services.ticket_update(ticket=ticket, actor=mof_agent, status=Ticket.Status.PENDING)
    clock.shift(dt.timedelta(hours=1))
    services.ticket_update(ticket=ticket, actor=mof_agent, status=Ticket.Status.RESOLVED)
    assert clocks(get(client, mof_requester, ticket))["Resolution"] == (
        "breached (resolved after 6 hours)"
    )


def test_it_counts_a_resolution_while_paused_in_time_as_met(
    client, clock, mof_requester, mof_agent, ticket
):
    clock.shift(dt.timedelta(hours=1))
    services.ticket_update(ticket=ticket, actor=mof_agent, status=Ticket.Status.PENDING)
    clock.shift(dt.timedelta(days=2))
    services.ticket_update(ticket=ticket, actor=mof_agent, status=Ticket.Status.RESOLVED)
    assert clocks(get(client, mof_requester, ticket))["Resolution"] == (
        "met (resolved after 2 days 1 hour)"
    )


def test_it_says_when_no_service_level_applies(
    client, clock, mof_requester, open_ticket, printer_category, mof_service_desk
):
    ticket = open_ticket(mof_requester, printer_category)  # no policy exists at all
    response = get(client, mof_requester, ticket)
    assert clocks(response) == {}
    assert "No service level applies." in response.content.decode()


def test_it_shows_the_clocks_without_a_query_of_their_own(
    client, clock, mof_requester, mof_agent, open_ticket, printer_category, mof_service_desk
):
    without = open_ticket(mof_requester, printer_category, subject="Before any policy")
    SLAPolicy.objects.create(
        priority="P4", response_minutes=60, resolution_minutes=240, business_hours=False
    )
    with_clocks = open_ticket(mof_requester, printer_category, subject="Under the policy")
    for ticket in (without, with_clocks):
        services.ticket_reply(ticket=ticket, author=mof_agent, body="Looking.", as_agent=True)
    client.force_login(mof_requester)
    counts = []
    for ticket in (without, with_clocks):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/tickets/{ticket.reference}/")
        counts.append(len(queries))
    assert "met (answered after less than a minute)" in page_text(response)
    # The clocks read the ticket and its agency, which the page has already (its queries are
    # listed in test_portal_views), and ask only whether a policy applies, never for it.
    assert counts[0] == counts[1]


# -- The clock's entries in the history -----------------------------------------------------


def _escalate(ticket: Ticket, **data) -> TicketEvent:
    # The shape the escalation task records; written directly, as that task is not ours.
    return TicketEvent.objects.create(
        ticket=ticket,
        kind=TicketEvent.Kind.ESCALATION,
        is_public=False,
        created_at=START + dt.timedelta(hours=4),
        data=data,
    )


def test_it_shows_agents_when_the_due_times_were_set_and_recomputed(
    client, clock, mof_requester, mof_agent, ticket
):
    clock.shift(dt.timedelta(minutes=30))
    services.ticket_update(ticket=ticket, actor=mof_agent, status=Ticket.Status.PENDING)
    clock.shift(dt.timedelta(hours=1))
    services.ticket_update(ticket=ticket, actor=mof_agent, status=Ticket.Status.OPEN)
    text = page_text(get(client, mof_agent, ticket))
    assert (
        "Service level: due times set. First response due by 24 November 2026, 09:00. "
        "Resolution due by 24 November 2026, 12:00."
    ) in text
    assert (
        "Service level: due times recomputed (the clock started again). First response due by "
        "24 November 2026, 10:00. Resolution due by 24 November 2026, 13:00."
    ) in text


def test_it_leaves_an_answered_first_response_out_of_later_entries(
    client, clock, mof_agent, ticket
):
    services.ticket_reply(ticket=ticket, author=mof_agent, body="Looking.", as_agent=True)
    clock.shift(dt.timedelta(minutes=30))
    services.ticket_update(ticket=ticket, actor=mof_agent, status=Ticket.Status.PENDING)
    clock.shift(dt.timedelta(hours=1))
    services.ticket_update(ticket=ticket, actor=mof_agent, status=Ticket.Status.OPEN)
    text = page_text(get(client, mof_agent, ticket))
    assert (
        "Service level: due times recomputed (the clock started again). Resolution due by "
        "24 November 2026, 13:00."
    ) in text


def test_it_shows_an_escalation_in_plain_words(client, clock, mof_agent, ticket):
    _escalate(
        ticket, level=2, clock="resolution", percent=100, notify="lead_and_admins", breach=True,
        raised_priority="P3", reassigned_to="lead@mof.gov.test",
    )  # fmt: skip
    _escalate(ticket, level=1, clock="response", percent=75, notify="team", breach=False)
    text = page_text(get(client, mof_agent, ticket))
    assert (
        "Escalation level 2: 100% of the resolution time used. Notified the team lead and the "
        "agency's admins. The resolution is marked as breached. Priority raised to P3 – medium. "
        "Reassigned to lead@mof.gov.test."
    ) in text
    assert "Escalation level 1: 75% of the first response time used. Notified the team." in text
    assert "The first response is marked as missed." not in text


def test_it_hides_service_level_and_escalation_entries_from_the_requester(
    client, clock, mof_requester, mof_agent, ticket
):
    _escalate(ticket, level=1, clock="response", percent=75, notify="team", breach=False)
    text = page_text(get(client, mof_requester, ticket))
    assert "Service level: due times" not in text
    assert "Escalation level" not in text
    assert "due in 1 hour" in text  # the clocks themselves are the requester's to see


def test_it_shows_the_history_with_clock_entries_in_the_same_number_of_queries(
    client, clock, mof_requester, mof_agent, printer_category, open_ticket, ticket
):
    quiet = ticket
    busy = open_ticket(mof_requester, printer_category, subject="Paused and resumed")
    for _ in range(5):
        clock.shift(dt.timedelta(minutes=10))
        services.ticket_update(ticket=busy, actor=mof_agent, status=Ticket.Status.PENDING)
        clock.shift(dt.timedelta(minutes=10))
        services.ticket_update(ticket=busy, actor=mof_agent, status=Ticket.Status.OPEN)
        _escalate(busy, level=1, clock="response", percent=50, notify="team", breach=False)
    assert busy.events.filter(kind=TicketEvent.Kind.SLA).count() == 6
    client.force_login(mof_agent)
    counts = []
    for shown in (quiet, busy):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/tickets/{shown.reference}/")
        assert response.status_code == 200
        counts.append(len(queries))
    # Each entry reads its ticket from the page's own: no query per entry.
    assert counts[0] == counts[1]
