"""Each dashboard runs a fixed number of queries, however many tickets lie behind it."""

import pytest
import time_machine

from reports.services import rollup_refresh_tickets
from tests.reports.conftest import WEEK, at
from tickets import services

NOW = at(2026, 11, 20, 12, 0)


@pytest.fixture
def more_tickets(report_week, mof, mof_requester, mof_agent, printer_category, act):
    """Ten more tickets over the week, some answered, some resolved, some transferred."""

    def more(nicta):
        created = []
        for number in range(10):
            ticket = act(
                at(2026, 11, 18, 9, number), services.ticket_create, requester=mof_requester,
                requester_agency=mof, category=printer_category, subject=f"More {number}",
                description="More", impact="low", urgency="medium",
            )  # fmt: skip
            if number % 2:
                act(at(2026, 11, 18, 11, number), services.ticket_reply, ticket=ticket,
                    author=mof_agent, body="Yes", as_agent=True)  # fmt: skip
            if number % 3 == 0:
                act(at(2026, 11, 19, 9, number), services.ticket_update, ticket=ticket,
                    actor=mof_agent, status="resolved")  # fmt: skip
            if number == 4:
                act(at(2026, 11, 19, 10, 0), services.ticket_transfer, ticket=ticket,
                    to_agency=nicta, reason="Theirs", actor=mof_agent)  # fmt: skip
            created.append(ticket)
        rollup_refresh_tickets(ticket_ids=[t.pk for t in created])

    return more


def _dashboard(client, url, data):
    with time_machine.travel(NOW, tick=False):
        response = client.get(url, data)
    assert response.status_code == 200
    return response


# The queries every signed-in page makes before the dashboard's own.
def _page_queries(django_assert_num_queries, own: int):
    return django_assert_num_queries(
        # 1. the session, 2. the user, 3. their memberships (the acting one),
        # 4. their unread notices, for the header
        4 + own
    )


def test_it_reads_the_agency_dashboard_in_a_fixed_number_of_queries(
    client, mof_head, report_week, more_tickets, nicta, django_assert_num_queries
):
    client.force_login(mof_head)
    # 5. the open backlog, 6. the period's days, 7. its top categories,
    # 8. the business-time percentiles, 9. the transfers, 10. the time spent,
    # 11. the tickets by channel (the channels app's figure), 12. the requesters' verdicts
    # (the satisfaction app's), 13. the problems solved by articles (the knowledge app's)
    with _page_queries(django_assert_num_queries, 9):
        _dashboard(client, "/dashboard/", WEEK)
    more_tickets(nicta)
    with _page_queries(django_assert_num_queries, 9):
        response = _dashboard(client, "/dashboard/", WEEK)
    assert response.context["data"].totals["created"] == 14


def test_it_reads_the_council_dashboard_in_a_fixed_number_of_queries(
    client, council_member, report_week, more_tickets, nicta, django_assert_num_queries
):
    client.force_login(council_member)
    # 5. the agencies, 6. the period's sums by agency, by day and by category (one pass),
    # 7. their open backlog, 8. their medians, 9. the transfers between agencies,
    # 10. the shared-service agencies' time spent for others (the workspace app's section),
    # 11. the major incidents (none here; the incidents app's section, two more with any),
    # 12. the tickets by channel (the channels app's figure), 13. the agencies' verdicts and
    # 14. their problems solved by articles (league columns)
    with _page_queries(django_assert_num_queries, 10):
        _dashboard(client, "/council/", WEEK)
    more_tickets(nicta)
    with _page_queries(django_assert_num_queries, 10):
        response = _dashboard(client, "/council/", WEEK)
    assert response.context["data"].league[0]["created"] == 14


def test_it_exports_in_a_fixed_number_of_queries(
    client, mof_head, report_week, more_tickets, nicta, django_assert_num_queries
):
    client.force_login(mof_head)
    # 1. the session, 2. the user, 3. their memberships (no header: a file has none),
    # 4-8. the dashboard's five, 9. a savepoint, 10. the audit entry, 11. its release
    with django_assert_num_queries(11):
        _dashboard(client, "/dashboard/export/MOF/daily.csv", WEEK)
    more_tickets(nicta)
    with django_assert_num_queries(11):
        _dashboard(client, "/dashboard/export/MOF/daily.csv", WEEK)


def test_it_exports_the_league_in_a_fixed_number_of_queries(
    client, council_member, report_week, more_tickets, nicta, django_assert_num_queries
):
    client.force_login(council_member)
    # 1. the session, 2. the user, 3. their memberships, 4-10. the Council's seven,
    # 11. a savepoint, 12. the audit entry, 13. its release
    with django_assert_num_queries(13):
        _dashboard(client, "/council/export/league.xlsx", WEEK)
    more_tickets(nicta)
    with django_assert_num_queries(13):
        _dashboard(client, "/council/export/league.xlsx", WEEK)
