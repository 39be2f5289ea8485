"""A search ranks a bounded set of candidates and counts no further than a cap: a rare word
finds the same first page as ranking every match, a common one says "more than" and stays
as cheap, and an exact reference is first whatever else the words match."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tickets import filters
from tickets.models import Ticket
from tickets.queue_counts import queue_counts_changed

# Words used a different number of times: each ticket matches the rare word with a relevance
# of its own, so that the order of a page is the ranking's and not the ties'.
RELEVANCE = [1, 3, 2, 5, 4, 6, 1, 2, 7, 3, 5, 8, 2, 4, 1, 6, 3, 9, 2, 5, 4, 1, 7, 3, 6, 2, 8, 1]


@pytest.fixture
def agent_client(client, mof_agent):
    client.force_login(mof_agent)
    return client


@pytest.fixture
def mof_ticket(open_ticket, mof_requester, printer_category, mof_service_desk):
    def mof_ticket(subject="Printer offline", **fields):
        return open_ticket(mof_requester, printer_category, subject=subject, **fields)

    return mof_ticket


def references(response) -> list[str]:
    return re.findall(
        r'<th scope="row"[^>]*><a href="[^"]+"[^>]*>([A-Z]+-\d+)</a></th>',
        response.content.decode(),
    )


def every_match_ranked(monkeypatch):
    """The search as it was before candidates were bounded: every match ranked."""
    monkeypatch.setattr(filters, "search_candidates", lambda tickets, query: tickets)


def test_it_finds_the_same_pages_for_a_rare_word_as_ranking_every_match(
    agent_client, mof_ticket, monkeypatch
):
    for number, times in enumerate(RELEVANCE):
        mof_ticket(f"Desk {number}", description=" ".join(["scanner"] * times + ["jammed"]))
    mof_ticket("Printer offline")  # matches nothing
    bounded = [
        references(agent_client.get(f"/queue/?view=all&q=scanner&page={page}")) for page in (1, 2)
    ]
    every_match_ranked(monkeypatch)
    before = [
        references(agent_client.get(f"/queue/?view=all&q=scanner&page={page}")) for page in (1, 2)
    ]
    assert bounded == before
    assert [len(page) for page in bounded] == [25, len(RELEVANCE) - 25]


def test_it_caps_the_count_of_a_common_word(agent_client, mof_ticket, monkeypatch):
    monkeypatch.setattr(filters, "COUNT_CAP", 5)
    monkeypatch.setattr(filters, "SEARCH_CANDIDATES", 5)
    tickets = [mof_ticket(f"Printer {number}") for number in range(8)]
    response = agent_client.get("/queue/?view=all&q=printer")
    assert response.context["page_obj"].paginator.count == 5
    assert response.context["page_obj"].paginator.more is True
    assert "More than 5 tickets: the first 5 are listed." in response.content.decode()
    # The candidates are the most recently updated matches; the oldest are left out.
    listed = references(response)
    assert len(listed) == 5
    assert set(listed) == {ticket.reference for ticket in tickets[3:]}


def test_it_counts_exactly_below_the_cap(agent_client, mof_ticket, monkeypatch):
    monkeypatch.setattr(filters, "COUNT_CAP", 5)
    monkeypatch.setattr(filters, "SEARCH_CANDIDATES", 5)
    for number in range(5):
        mof_ticket(f"Printer {number}")
    response = agent_client.get("/queue/?view=all&q=printer")
    assert response.context["page_obj"].paginator.more is False
    assert "5 tickets" in response.content.decode()
    assert "More than" not in response.content.decode()


def test_it_puts_an_exact_reference_first_beyond_the_candidates(
    agent_client, mof_ticket, monkeypatch
):
    monkeypatch.setattr(filters, "COUNT_CAP", 3)
    monkeypatch.setattr(filters, "SEARCH_CANDIDATES", 3)
    oldest = mof_ticket("Printer offline")
    for number in range(5):
        # Each newer subject names the oldest: the words match them all.
        mof_ticket(f"{oldest.reference} again, {number}")
    listed = references(agent_client.get(f"/queue/?view=all&q={oldest.reference.lower()}"))
    assert listed[0] == oldest.reference
    assert len(listed) == 3  # no more than the count says


def test_it_searches_a_common_word_in_the_queries_of_an_unsearched_queue(
    agent_client, mof_ticket, monkeypatch
):
    monkeypatch.setattr(filters, "COUNT_CAP", 5)
    monkeypatch.setattr(filters, "SEARCH_CANDIDATES", 5)
    for number in range(8):
        mof_ticket(f"Printer {number}")
    # The queue's own queries (see tests/tickets/test_queue.py), whose list takes its count
    # from its view's tab, and for a search two more: the candidates' ids, looked for once,
    # and their capped count. The ranked candidates take the place of the page: nothing grows
    # with how common the word is.
    with CaptureQueriesContext(connection) as unsearched:
        agent_client.get("/queue/?view=all")
    # The views' counts are kept between the two pages (tickets/queue_counts.py): counted
    # again, as after a change, so that both pages pay for them.
    queue_counts_changed([Ticket.objects.latest("pk").agency_id])
    with CaptureQueriesContext(connection) as searched:
        response = agent_client.get("/queue/?view=all&q=printer")
    assert len(searched) == len(unsearched) + 2
    assert len(references(response)) == 5
