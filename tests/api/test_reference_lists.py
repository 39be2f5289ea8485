"""The small lists: the caller, the agencies, the services."""

import pytest

from tests.factories import AgencyFactory
from tickets.models import Category


def test_it_says_who_the_caller_is(api, mof_agent, moh):
    from accounts.models import Membership, Role

    Membership.objects.create(user=mof_agent, agency=moh, role=Role.REQUESTER)

    body = api(mof_agent).get("/api/v1/me/").json()

    assert body["email"] == "agent@mof.gov.test"
    assert body["full_name"] == "James Tarpeh"
    assert {(m["agency"], m["role"]) for m in body["memberships"]} == {
        ("MOF", "agent"), ("MOH", "requester"),
    }  # fmt: skip
    # A token acts with the strongest role, unless the request names an agency.
    assert body["acting_as"] == {"agency": "MOF", "role": "agent"}


def test_it_acts_in_the_agency_the_request_names(api, mof_agent, moh):
    from accounts.models import Membership, Role

    Membership.objects.create(user=mof_agent, agency=moh, role=Role.REQUESTER)
    client = api(mof_agent)

    as_moh = client.get("/api/v1/me/", HTTP_X_GOVDESK_AGENCY="moh").json()
    unknown = client.get("/api/v1/me/", HTTP_X_GOVDESK_AGENCY="NEC")

    assert as_moh["acting_as"] == {"agency": "MOH", "role": "requester"}
    assert unknown.status_code == 400
    assert "X-GovDesk-Agency" in unknown.json()


@pytest.mark.parametrize("count", [2, 20])
def test_it_lists_agencies_in_a_fixed_number_of_queries(
    api, mof, mof_requester, count, django_assert_num_queries
):
    for n in range(count):
        AgencyFactory(code=f"DEPT{n}", name=f"Department {n}", parent=mof)
    client = api(mof_requester)
    client.get("/api/v1/me/")  # the token's last use is written now, not in the count

    # 1 token and its user, 2 memberships (acting as), 3 a page of agencies with their parents
    with django_assert_num_queries(3):
        body = client.get("/api/v1/agencies/?page_size=100").json()

    assert len(body["results"]) == count + 1
    assert {"code": "DEPT0", "name": "Department 0", "kind": "ministry", "parent": "MOF",
            "is_active": True} in body["results"]  # fmt: skip


@pytest.mark.parametrize("count", [2, 20])
def test_it_lists_the_services_a_caller_may_use_in_a_fixed_number_of_queries(
    api, mof, moh, mof_requester, count, django_assert_num_queries
):
    parent = Category.objects.create(name="Computers", slug="computers")
    for n in range(count):
        Category.objects.create(name=f"Service {n}", slug=f"service-{n}", parent=parent)
    Category.objects.create(name="MOF payroll", slug="mof-payroll", agency=mof)
    Category.objects.create(name="MOH records", slug="moh-records", agency=moh)
    Category.objects.create(name="Retired", slug="retired", is_active=False)
    client = api(mof_requester)
    client.get("/api/v1/me/")

    # 1 token and its user, 2 memberships, 3 a page of services with parents and agencies
    with django_assert_num_queries(3):
        body = client.get("/api/v1/categories/?page_size=100").json()

    slugs = {c["slug"] for c in body["results"]}
    assert {"mof-payroll", "computers", "service-0"} <= slugs
    assert not {"moh-records", "retired"} & slugs
    assert {"slug": "mof-payroll", "agency": "MOF", "parent": None}.items() <= next(
        c for c in body["results"] if c["slug"] == "mof-payroll"
    ).items()


def test_it_says_who_the_caller_is_in_a_fixed_number_of_queries(
    api, mof_agent, django_assert_num_queries
):
    client = api(mof_agent)
    client.get("/api/v1/me/")  # the token's last use is written now, not in the count

    # 1 token and its user, 2 memberships (acting as), 3 memberships again for the answer
    with django_assert_num_queries(3):
        assert client.get("/api/v1/me/").status_code == 200
