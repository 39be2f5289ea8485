"""A person with roles in several agencies switches between them in the header."""

import pytest

from accounts.models import Role
from tests.factories import MembershipFactory


@pytest.fixture
def seconded_officer(nicta, moh):
    """An ICT officer of NICTA seconded to the Ministry of Health."""
    membership = MembershipFactory(agency=nicta, role=Role.AGENT, user__email="ict@nicta.gov.test")
    MembershipFactory(agency=moh, role=Role.AGENCY_ADMIN, user=membership.user)
    return membership.user


def test_it_acts_as_the_first_membership_by_default(client, seconded_officer):
    client.force_login(seconded_officer)
    response = client.get("/")
    assert response.context["current_membership"].agency.code == "MOH"


def test_it_switches_to_another_of_their_memberships(client, seconded_officer, nicta):
    client.force_login(seconded_officer)
    target = seconded_officer.memberships.get(agency=nicta)
    response = client.post(
        "/profile/acting-as/", {"membership": target.pk, "next": "/profile/"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/profile/"
    assert response.context["current_membership"] == target
    assert "You are now acting as Agent, National ICT Agency." in response.content.decode()


def test_it_refuses_to_switch_to_someone_elses_membership(client, seconded_officer, mof_head):
    client.force_login(seconded_officer)
    response = client.post(
        "/profile/acting-as/", {"membership": mof_head.memberships.get().pk}, follow=True
    )
    assert "That role is not yours" in response.content.decode()
    assert response.context["current_membership"].agency.code == "MOH"


def test_it_refuses_to_switch_into_an_inactive_agency(client, seconded_officer, nicta):
    nicta.is_active = False
    nicta.save(update_fields=["is_active"])
    client.force_login(seconded_officer)
    target = seconded_officer.memberships.get(agency=nicta)
    response = client.post("/profile/acting-as/", {"membership": target.pk}, follow=True)
    assert "its agency is inactive" in response.content.decode()
    assert response.context["current_membership"].agency.code == "MOH"


def test_it_ignores_an_unsafe_next_address(client, seconded_officer, nicta):
    client.force_login(seconded_officer)
    target = seconded_officer.memberships.get(agency=nicta)
    response = client.post(
        "/profile/acting-as/", {"membership": target.pk, "next": "https://evil.example/"}
    )
    assert response.url == "/"


def test_it_offers_the_switch_only_to_people_with_several_roles(
    client, seconded_officer, mof_agent
):
    client.force_login(seconded_officer)
    assert 'id="membership-switch"' in client.get("/").content.decode()
    client.force_login(mof_agent)
    assert 'id="membership-switch"' not in client.get("/").content.decode()


def test_it_saves_the_profile(client, mof_requester):
    client.force_login(mof_requester)
    response = client.post(
        "/profile/", {"full_name": "  Musu K. Kollie ", "preferred_language": "fr"}
    )
    assert response.status_code == 302
    mof_requester.refresh_from_db()
    assert (mof_requester.full_name, mof_requester.preferred_language) == ("Musu K. Kollie", "fr")


def test_it_refuses_an_unknown_language_on_the_profile(client, mof_requester):
    client.force_login(mof_requester)
    response = client.post("/profile/", {"full_name": "Musu", "preferred_language": "xx"})
    assert response.status_code == 200
    assert "preferred_language" in response.context["form"].errors


def test_it_switches_language_and_remembers_it_on_the_profile(client, mof_requester):
    client.force_login(mof_requester)
    response = client.post("/language/", {"language": "fr", "next": "/profile/"})
    assert response.url == "/profile/"
    assert response.cookies["django_language"].value == "fr"
    mof_requester.refresh_from_db()
    assert mof_requester.preferred_language == "fr"
    assert client.get("/profile/").headers["Content-Language"] == "fr"


def test_it_switches_language_for_anonymous_visitors(client, db):
    client.post("/language/", {"language": "fr", "next": "/"})
    assert client.get("/").headers["Content-Language"] == "fr"


def test_it_ignores_an_unknown_language(client, db):
    response = client.post("/language/", {"language": "xx"})
    assert response.status_code == 302
    assert "django_language" not in response.cookies
