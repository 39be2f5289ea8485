"""The two dashboards and their exports through the client: who sees what, bad input, the
figures on the page, the fixed number of queries, and the audit of every download."""

import csv
import io

import pytest
import time_machine
from openpyxl import load_workbook

from core.models import AuditEntry
from reports.services import rollup_refresh_tickets
from tests.reports.conftest import WEEK, at
from tickets import services

NOW = at(2026, 11, 20, 12, 0)  # the Friday of the week


@pytest.fixture
def signed_in(client):
    def signed_in(user):
        client.force_login(user)
        return client

    return signed_in


def get(client, url, data=None):
    with time_machine.travel(NOW, tick=False):
        return client.get(url, data)


def rows_of(response) -> list[list[str]]:
    text = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))


# -- Who sees what -------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["mof_requester", "council_member"])
def test_it_answers_404_on_the_agency_dashboard_to_others(signed_in, request, persona):
    client = signed_in(request.getfixturevalue(persona))
    assert get(client, "/dashboard/").status_code == 404


@pytest.mark.parametrize("persona", ["mof_requester", "mof_agent", "mof_head"])
def test_it_answers_404_on_the_council_dashboard_and_exports_to_others(signed_in, request, persona):
    client = signed_in(request.getfixturevalue(persona))
    for url in ("/council/", "/council/export/league.csv", "/council/export/league.xlsx",
                "/council/export/trend.csv"):  # fmt: skip
        assert get(client, url).status_code == 404, url


def test_it_answers_404_to_an_agent_exporting_another_agencys_table(
    signed_in, report_week, moh_agent
):
    client = signed_in(moh_agent)
    assert get(client, "/dashboard/export/MOF/status.csv", WEEK).status_code == 404
    assert get(client, "/dashboard/export/MOH/status.csv", WEEK).status_code == 200
    assert not AuditEntry.objects.filter(target__contains="MOF").exists()


def test_it_shows_an_agent_their_own_agencys_numbers_only(
    signed_in, report_week, moh_agent, mof_agent
):
    moh_page = get(signed_in(moh_agent), "/dashboard/", WEEK)
    assert moh_page.status_code == 200
    assert moh_page.context["agency"].code == "MOH"
    assert moh_page.context["data"].open_total == 0
    assert moh_page.context["data"].totals["created"] == 0
    assert "No data yet" in moh_page.content.decode()

    mof_page = get(signed_in(mof_agent), "/dashboard/", WEEK)
    assert mof_page.context["data"].open_total == 1  # MOF-3, reopened
    assert mof_page.context["data"].totals["created"] == 4


# -- The figures on the pages --------------------------------------------------------------


def test_it_shows_the_agency_dashboard_figures(signed_in, report_week, mof_head):
    response = get(signed_in(mof_head), "/dashboard/", WEEK)
    page = response.content.decode()
    tables = response.context["data"].tables
    assert tables["status"].rows[1] == ["Open", 1]
    assert tables["age"].rows == [
        ["Under 1 day", 0], ["1 to 3 days", 0], ["3 to 7 days", 1], ["7 to 30 days", 0],
        ["Over 30 days", 0],
    ]  # fmt: skip
    assert tables["agents"].rows == [["Unassigned", 1]]  # MOF-3 was never assigned
    assert tables["daily"].rows[:2] == [
        ["2026-11-16", 4, 1, 50.0, 100.0],
        ["2026-11-17", 0, 2, 0.0, 0.0],
    ]
    assert tables["categories"].rows == [["Computer and printer", 4, 3]]
    assert 'role="img"' in page and '<title id="chart-status-title">' in page
    assert page.count("Download as CSV") == 11


def test_it_shows_the_council_league(signed_in, report_week, council_member, moh):
    response = get(signed_in(council_member), "/council/", {**WEEK, "sort": "created"})
    assert response.status_code == 200
    league = response.context["data"].tables["league"].rows
    # The last three: satisfaction (% good), its answers and deflections: none this week
    # (tests/satisfaction/test_figures.py has them).
    assert league[0] == [
        "Ministry of Finance", "MOF", 4, 1, 0, 33.3, 50.0, 5.5, 33.3, 25.0, None, 0, 0,
    ]  # fmt: skip
    assert league[1] == [
        "Ministry of Health", "MOH", 0, 0, 0, None, None, None, None, None, None, 0, 0,
    ]  # fmt: skip
    assert league[2] == [
        "National ICT Agency", "NICTA", 0, 0, 0, 100.0, 100.0, 2.0, 0.0, None, None, 0, 0,
    ]  # fmt: skip
    assert response.context["data"].tables["transfers"].rows == [["MOF", "NICTA", 1]]


def test_it_sorts_the_league_with_empty_values_last(signed_in, report_week, council_member, moh):
    response = get(
        signed_in(council_member), "/council/", {**WEEK, "sort": "resolution", "order": "asc"}
    )
    codes = [row["code"] for row in response.context["data"].league]
    assert codes == ["MOF", "NICTA", "MOH"]
    assert 'aria-sort="ascending"' in response.content.decode()


def test_it_filters_the_council_by_kind_of_agency(signed_in, report_week, council_member):
    response = get(signed_in(council_member), "/council/", {**WEEK, "kind": "shared_service"})
    assert [row["code"] for row in response.context["data"].league] == ["NICTA"]


def test_it_never_shows_the_council_a_ticket_or_its_requester(
    signed_in, report_week, council_member, mof_requester
):
    client = signed_in(council_member)
    texts = [get(client, "/council/", WEEK).content.decode()]
    for table in ("league", "trend", "categories", "transfers"):
        texts.append(get(client, f"/council/export/{table}.csv", WEEK).content.decode())
    for text in texts:
        for ticket in report_week:
            assert ticket.subject not in text
            assert ticket.reference not in text
        assert "Confidential details" not in text
        assert mof_requester.full_name not in text
        assert mof_requester.email not in text


# -- Bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"period": "custom", "start": "2026-11-20", "end": "2026-11-16"}, "on or after"),
        ({"period": "custom", "start": "2020-01-01", "end": "2026-11-16"}, "at most 731 days"),
        ({"period": "custom", "start": "yesterday", "end": "2026-11-16"}, "as a date"),
        ({"period": "custom"}, "Enter the first day"),
        ({"period": "fortnight"}, "Choose a period"),
        ({"kind": "embassy"}, "Choose a kind of agency"),
        ({"sort": "salary"}, "Choose a column"),
    ],
)
def test_it_says_what_is_wrong_with_the_period(signed_in, council_member, data, message):
    response = get(signed_in(council_member), "/council/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "data" not in response.context
    export = get(signed_in(council_member), "/council/export/league.csv", data)
    assert export.status_code == 400
    assert message in export.content.decode()


def test_it_answers_an_agent_with_a_reversed_range_with_a_message(signed_in, mof_agent):
    data = {"period": "custom", "start": "2026-11-20", "end": "2026-11-16"}
    response = get(signed_in(mof_agent), "/dashboard/", data)
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert get(signed_in(mof_agent), "/dashboard/export/MOF/daily.csv", data).status_code == 400


def test_it_shows_an_empty_state_without_dividing_by_zero(signed_in, mof_head, council_member):
    page = get(signed_in(mof_head), "/dashboard/", {"period": "7"}).content.decode()
    assert "No data yet" in page
    council = get(signed_in(council_member), "/council/", {"period": "quarter"})
    assert "No data yet" in council.content.decode()


def test_it_answers_404_for_an_unknown_table(signed_in, mof_head):
    assert get(signed_in(mof_head), "/dashboard/export/MOF/salaries.csv").status_code == 404


def test_it_lets_a_platform_admin_choose_the_agency(signed_in, report_week, platform_admin):
    client = signed_in(platform_admin)
    assert "Choose an agency" in get(client, "/dashboard/").content.decode()
    unknown = get(client, "/dashboard/", {"agency": "XYZ"})
    assert unknown.status_code == 200
    assert "Choose an agency from the list" in unknown.content.decode()
    chosen = get(client, "/dashboard/", {**WEEK, "agency": "NICTA"})
    assert chosen.context["data"].totals["transferred_in"] == 1


# -- Exports -------------------------------------------------------------------------------


def test_it_exports_a_table_as_csv_and_records_who_did(signed_in, report_week, mof_head, mof):
    response = get(signed_in(mof_head), "/dashboard/export/MOF/sla.csv", WEEK)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "MOF-sla-2026-11-16-2026-11-20.csv" in response["Content-Disposition"]
    assert rows_of(response) == [
        ["Target", "Met", "Breached", "Compliance (%)"],
        ["First response", "1", "2", "33.3"],
        ["Resolution", "1", "1", "50.0"],
    ]
    entry = AuditEntry.objects.get(action="report.export")
    assert (entry.actor, entry.agency, entry.target) == (mof_head, mof, "dashboard:MOF:sla.csv")
    assert entry.data["start"] == "2026-11-16" and entry.data["end"] == "2026-11-20"


def test_it_exports_the_league_as_a_workbook_and_records_it(signed_in, report_week, council_member):
    response = get(signed_in(council_member), "/council/export/league.xlsx", WEEK)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Agency", "Code", "Tickets reported")
    assert rows[1][:3] == ("Ministry of Finance", "MOF", 4)
    entry = AuditEntry.objects.get(action="report.export")
    assert (entry.actor, entry.target) == (council_member, "council:league.xlsx")


def test_it_quotes_text_a_spreadsheet_would_run(
    signed_in, service_levels, mof, mof_requester, mof_head, act
):
    from tickets.models import Category

    category = Category.objects.create(name="=HYPERLINK(1)", slug="formula")
    ticket = act(
        at(2026, 11, 16, 9, 0), services.ticket_create, requester=mof_requester,
        requester_agency=mof, category=category, subject="x", description="y",
        impact="low", urgency="low",
    )  # fmt: skip
    rollup_refresh_tickets(ticket_ids=[ticket.pk])
    rows = rows_of(get(signed_in(mof_head), "/dashboard/export/MOF/categories.csv", WEEK))
    assert rows[1][0] == "'=HYPERLINK(1)"


def test_it_refuses_to_post_to_an_export(signed_in, mof_head):
    assert signed_in(mof_head).post("/dashboard/export/MOF/status.csv").status_code == 405


def test_it_shows_each_agents_open_load(signed_in, report_week, mof_head, mof_agent, act):
    act(at(2026, 11, 18, 9, 0), services.ticket_assign, ticket=report_week[2],
        assignee=mof_agent, actor=mof_head)  # fmt: skip
    response = get(signed_in(mof_head), "/dashboard/", WEEK)
    assert response.context["data"].tables["agents"].rows == [["James Tarpeh", 1]]
