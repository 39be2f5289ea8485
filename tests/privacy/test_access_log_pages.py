"""The access log's pages: officers and platform admins read and export it; agents do not."""

import csv
import io

import pytest

from privacy.access_log import access_log_flush
from privacy.models import AccessLogEntry


@pytest.fixture
def reads(client, open_ticket, mof_requester, moh_requester, mof_agent, moh_agent):
    mof_ticket = open_ticket(mof_requester)
    moh_ticket = open_ticket(moh_requester, subject="Screen broken")
    for user, ticket in ((mof_agent, mof_ticket), (moh_agent, moh_ticket)):
        client.force_login(user)
        assert client.get(f"/tickets/{ticket.reference}/").status_code == 200
    access_log_flush()
    client.logout()
    return mof_ticket, moh_ticket


def test_an_agencys_officer_reads_its_entries_only(client, reads, mof_dpo, mof_agent):
    client.force_login(mof_dpo)
    response = client.get("/privacy/")
    assert response.status_code == 200
    assert list(response.context["page_obj"]) == list(
        AccessLogEntry.objects.filter(ticket=reads[0])
    )
    assert mof_agent.email in response.content.decode()


def test_a_government_wide_officer_reads_every_agency(client, reads, government_dpo):
    client.force_login(government_dpo)
    response = client.get("/privacy/")
    assert len(response.context["page_obj"]) == 2


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"person": "agent@moh.gov.test"}, 1),
        ({"person": "requester@mof.gov.test"}, 1),
        ({"ticket": "MOH-000001"}, 1),
        ({"agency": "MOF"}, 1),
        ({"since": "2000-01-01", "until": "2000-01-02"}, 0),
    ],
)
def test_it_filters_by_person_ticket_agency_and_period(
    client, reads, platform_admin, query, expected
):
    client.force_login(platform_admin)
    response = client.get("/privacy/", query)
    assert len(response.context["page_obj"]) == expected


def test_it_explains_a_period_that_ends_before_it_starts(client, reads, platform_admin):
    client.force_login(platform_admin)
    response = client.get("/privacy/", {"since": "2026-02-01", "until": "2026-01-01"})
    assert "comes before its start" in response.content.decode()


def test_it_exports_the_filtered_entries(client, reads, platform_admin):
    client.force_login(platform_admin)
    response = client.get("/privacy/access-log.csv", {"agency": "MOH"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["reader"], r["record"], r["person"]) for r in rows] == [
        ("agent@moh.gov.test", reads[1].reference, "requester@moh.gov.test")
    ]


@pytest.mark.parametrize("persona", ["mof_agent", "mof_head", "council_member", "mof_requester"])
@pytest.mark.parametrize("url", ["/privacy/", "/privacy/access-log.csv", "/privacy/people/"])
def test_it_answers_404_to_everyone_else(client, request, reads, persona, url):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(url).status_code == 404


def test_it_reads_the_log_page_in_a_fixed_number_of_queries(
    client, reads, platform_admin, django_assert_num_queries
):
    client.force_login(platform_admin)
    client.get("/privacy/")
    # session, user, memberships, agencies for the filter, count, page of entries with
    # reader, subject, ticket and agency joined, unread notices
    with django_assert_num_queries(7):
        assert client.get("/privacy/").status_code == 200
