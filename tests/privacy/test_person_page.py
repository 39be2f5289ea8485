"""The officer's page for one person: find them, hold their data, release the hold."""

import pytest

from privacy.models import LegalHold


def test_an_officer_finds_a_person_by_address(client, mof_dpo, mof_requester):
    client.force_login(mof_dpo)
    response = client.get("/privacy/people/", {"email": "REQUESTER@mof.gov.test"})
    assert response.status_code == 302
    assert response.url == f"/privacy/people/{mof_requester.pk}/"


def test_it_says_so_when_nobody_is_found(client, mof_dpo, moh_requester):
    client.force_login(mof_dpo)
    response = client.get("/privacy/people/", {"email": moh_requester.email})
    assert "Nobody with this e-mail address is yours to answer for." in response.content.decode()


def test_the_person_page_in_a_fixed_number_of_queries(
    client, mof_dpo, mof_requester, django_assert_num_queries
):
    client.force_login(mof_dpo)
    url = f"/privacy/people/{mof_requester.pk}/"
    client.get(url)
    # session, user, memberships (acting); the person; their memberships; holds; erasure
    # refusal (hold, platform admin, erasure done); unread notices
    with django_assert_num_queries(10):
        assert client.get(url).status_code == 200


def test_an_officer_places_and_releases_a_hold(client, mof_dpo, mof_requester):
    client.force_login(mof_dpo)
    url = f"/privacy/people/{mof_requester.pk}/"
    assert client.post(url + "hold/", {"reason": ""}).status_code == 400
    assert client.post(url + "hold/", {"reason": "Court case 3/2026"}).status_code == 302
    hold = LegalHold.objects.get()
    assert "Court case 3/2026" in client.get(url).content.decode()
    assert client.post(f"/privacy/holds/{hold.pk}/release/").status_code == 302
    hold.refresh_from_db()
    assert hold.released_at is not None


@pytest.mark.parametrize("persona", ["moh_agent", "moh_head", "council_member", "mof_agent"])
def test_every_person_route_is_404_to_those_without_the_role(
    client, request, mof_dpo, mof_requester, persona
):
    hold = LegalHold.objects.create(person=mof_requester, reason="Case", placed_by=mof_dpo)
    client.force_login(request.getfixturevalue(persona))
    base = f"/privacy/people/{mof_requester.pk}/"
    for url in (base, base + "export.zip"):
        assert client.get(url).status_code == 404, url
    for url in (base + "erase/", base + "hold/", f"/privacy/holds/{hold.pk}/release/"):
        assert client.post(url, {"reason": "x", "confirm": "on"}).status_code == 404, url
    assert LegalHold.objects.filter(released_at__isnull=True).count() == 1


def test_another_agencys_officer_gets_404(client, moh, mof_requester):
    from accounts.models import Role
    from tests.factories import MembershipFactory, UserFactory

    moh_dpo = UserFactory(email="dpo@moh.gov.test")
    MembershipFactory(user=moh_dpo, agency=moh, role=Role.DATA_PROTECTION_OFFICER)
    client.force_login(moh_dpo)
    assert client.get(f"/privacy/people/{mof_requester.pk}/").status_code == 404
