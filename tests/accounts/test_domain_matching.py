"""A person signing up with an agency's e-mail domain becomes a requester of that agency."""

import pytest
from allauth.account.models import EmailAddress

from accounts.models import Membership, Role, User
from accounts.services import agency_for_email, user_join_by_email_domain
from tests.factories import AgencyDomainFactory, AgencyFactory

SIGNUP = {
    "full_name": "Musu Kollie",
    "password1": "a long pass phrase 42",
    "password2": "a long pass phrase 42",
}


def test_it_matches_an_agency_by_its_domain(mof, moh):
    assert agency_for_email("someone@mof.gov.test") == mof
    assert agency_for_email("someone@MOH.gov.test") == moh


def test_it_matches_a_subdomain_to_its_agency(mof):
    assert agency_for_email("someone@budget.mof.gov.test") == mof


def test_it_prefers_the_most_specific_domain(mof):
    bureau = AgencyFactory(code="BOB", name="Bureau of the Budget", parent=mof)
    AgencyDomainFactory(agency=bureau, domain="budget.mof.gov.test")
    assert agency_for_email("someone@budget.mof.gov.test") == bureau
    assert agency_for_email("someone@mof.gov.test") == mof


def test_it_does_not_match_a_lookalike_domain(mof):
    assert agency_for_email("someone@evilmof.gov.test") is None
    assert agency_for_email("someone@mof.gov.test.example") is None


def test_it_ignores_inactive_agencies(mof):
    mof.is_active = False
    mof.save(update_fields=["is_active"])
    assert agency_for_email("someone@mof.gov.test") is None


def test_it_makes_a_domain_user_a_requester_of_the_agency(mof):
    user = User.objects.create_user(email="new@mof.gov.test")
    membership = user_join_by_email_domain(user=user)
    assert (membership.agency, membership.role) == (mof, Role.REQUESTER)


def test_it_makes_another_address_a_requester_with_no_agency(mof):
    user = User.objects.create_user(email="citizen@mail.example")
    membership = user_join_by_email_domain(user=user)
    assert (membership.agency, membership.role) == (None, Role.REQUESTER)


def test_it_signs_up_through_the_form_into_the_right_agency(client, mof):
    response = client.post("/accounts/signup/", {**SIGNUP, "email": "Musu@MOF.gov.test"})
    assert response.status_code == 302
    user = User.objects.get(email="musu@mof.gov.test")
    assert user.full_name == "Musu Kollie"
    assert list(user.memberships.values_list("agency__code", "role")) == [("MOF", "requester")]
    assert not EmailAddress.objects.get(user=user).verified


def test_it_refuses_public_addresses_when_the_setting_forbids_them(client, mof, settings):
    settings.GOVDESK_ALLOW_PUBLIC_SIGNUP = False
    response = client.post("/accounts/signup/", {**SIGNUP, "email": "citizen@mail.example"})
    assert response.status_code == 200
    assert "Use your government e-mail address" in response.content.decode()
    assert not User.objects.exists()


def test_it_shows_a_clear_error_for_a_malformed_address(client, db):
    response = client.post("/accounts/signup/", {**SIGNUP, "email": "not-an-address"})
    assert response.status_code == 200
    assert "error-summary" in response.content.decode()
    assert "Enter a valid email address." in response.content.decode()
    assert not User.objects.exists()


def test_it_closes_sign_up_when_switched_off(client, db, settings):
    settings.GOVDESK_ALLOW_SIGNUP = False
    response = client.post("/accounts/signup/", {**SIGNUP, "email": "new@mof.gov.test"})
    assert response.status_code == 200
    assert "Sign Up Closed" in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.parametrize("email", ["requester@mof.gov.test", "REQUESTER@mof.gov.test"])
def test_it_refuses_a_second_account_for_the_same_address(client, mof_requester, email):
    client.post("/accounts/signup/", {**SIGNUP, "email": email})
    assert User.objects.filter(email__iexact="requester@mof.gov.test").count() == 1
    assert Membership.objects.count() == 1
