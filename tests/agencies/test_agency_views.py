"""Platform admins keep the register of agencies."""

from agencies.models import Agency, AgencyDomain
from core.models import AuditEntry

NEW_AGENCY = {
    "code": "mopw",
    "name": "Ministry of Public Works",
    "kind": "ministry",
    "time_zone": "Africa/Monrovia",
    "domains": "mopw.gov.test\nworks.gov.test",
}


def test_it_creates_an_agency_with_its_domains(client, platform_admin):
    client.force_login(platform_admin)
    response = client.post("/agencies/new/", NEW_AGENCY)
    assert response.status_code == 302
    agency = Agency.objects.get(code="MOPW")
    assert sorted(agency.domains.values_list("domain", flat=True)) == [
        "mopw.gov.test",
        "works.gov.test",
    ]
    assert AuditEntry.objects.get(action="agency.created").actor == platform_admin


def test_it_refuses_a_duplicate_code_and_changes_nothing(client, platform_admin, mof):
    client.force_login(platform_admin)
    response = client.post("/agencies/new/", {**NEW_AGENCY, "code": "mof"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "error-summary" in page
    assert "Another agency already uses the code MOF." in page
    assert Agency.objects.count() == 1
    assert not AgencyDomain.objects.filter(domain="mopw.gov.test").exists()


def test_it_refuses_a_domain_another_agency_has(client, platform_admin, mof):
    client.force_login(platform_admin)
    response = client.post("/agencies/new/", {**NEW_AGENCY, "domains": "MOF.gov.test"})
    assert response.status_code == 200
    assert "Already used by another agency: mof.gov.test (MOF)." in response.content.decode()
    assert Agency.objects.count() == 1


def test_it_refuses_a_malformed_code_domain_and_time_zone(client, platform_admin):
    client.force_login(platform_admin)
    response = client.post(
        "/agencies/new/",
        {**NEW_AGENCY, "code": "m-o", "domains": "not a domain", "time_zone": "Mars/Olympus"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"code", "domains", "time_zone"}
    assert not Agency.objects.exists()


def test_it_edits_an_agency_but_never_its_code(client, platform_admin, mof):
    client.force_login(platform_admin)
    response = client.post(
        "/agencies/MOF/",
        {**NEW_AGENCY, "code": "XXX", "name": "Ministry of Finance and Development Planning",
         "domains": "mof.gov.test\nmfdp.gov.test", "is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    mof.refresh_from_db()
    assert (mof.code, mof.name) == ("MOF", "Ministry of Finance and Development Planning")
    assert mof.domains.count() == 2


def test_it_deactivates_an_agency(client, platform_admin, mof):
    client.force_login(platform_admin)
    client.post("/agencies/MOF/", {**NEW_AGENCY, "name": mof.name, "domains": ""})
    mof.refresh_from_db()
    assert mof.is_active is False
    assert mof.domains.count() == 0


def test_it_refuses_to_make_an_agency_its_own_grandparent(client, platform_admin, mof):
    child = Agency.objects.create(code="BOB", name="Bureau of the Budget", parent=mof)
    client.force_login(platform_admin)
    response = client.post(
        "/agencies/MOF/",
        {**NEW_AGENCY, "name": mof.name, "parent": child.pk, "domains": "", "is_active": "on"},
    )
    assert response.status_code == 200
    assert "An agency cannot sit inside itself." in response.content.decode()
    mof.refresh_from_db()
    assert mof.parent is None


def test_it_lists_agencies_in_a_fixed_number_of_queries(
    client, platform_admin, mof, moh, nicta, django_assert_num_queries
):
    client.force_login(platform_admin)
    # 1 session, 1 user, 1 memberships and 1 unread-notices count (header), 1 agencies with
    # counts, 1 domains prefetch.
    with django_assert_num_queries(6):
        response = client.get("/agencies/")
    assert response.status_code == 200
    assert "National ICT Agency" in response.content.decode()


# -- The agency's settings page ----------------------------------------------------------------


def test_it_links_every_setting_from_the_agency_settings_page(
    client, mof_head, django_assert_num_queries
):
    client.force_login(mof_head)
    # 1 session, 1 user, 1 memberships and 1 unread-notices count (header), 1 agency.
    with django_assert_num_queries(5):
        response = client.get("/agencies/MOF/settings/")
    page = response.content.decode()
    for href in (
        "/agencies/MOF/teams/",
        "/agencies/MOF/members/",
        "/categories/",
        "/agencies/MOF/calendar/",
        "/agencies/MOF/service-levels/",
        "/inbound/",
        "/agencies/MOF/webhooks/",
    ):
        assert f'href="{href}"' in page, href
    assert '<a href="/agencies/MOF/settings/">Settings</a>' in page  # in the navigation


def test_it_hides_the_settings_page_from_an_agent_and_other_agencies(
    client, mof_agent, moh_head, mof
):
    client.force_login(mof_agent)
    assert client.get("/agencies/MOF/settings/").status_code == 404
    assert 'href="/agencies/MOF/settings/"' not in client.get("/").content.decode()
    client.force_login(moh_head)
    assert client.get("/agencies/MOF/settings/").status_code == 404


def test_it_refuses_a_post_to_the_settings_page(client, mof_head):
    client.force_login(mof_head)
    assert client.post("/agencies/MOF/settings/").status_code == 405
