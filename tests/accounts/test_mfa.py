"""MFA: offered to everyone, required of agents and administrators when the setting says so."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from accounts.adapters import MFAAdapter


@pytest.fixture
def mfa_required(settings):
    settings.GOVDESK_REQUIRE_MFA_FOR_STAFF = True


def activate_totp(user) -> Authenticator:
    return TOTP.activate(user, generate_totp_secret()).instance


def test_it_sends_an_agent_without_mfa_to_set_it_up(client, mof_agent, mfa_required):
    client.force_login(mof_agent)
    response = client.get("/profile/")
    assert response.status_code == 302
    assert response.url == "/accounts/2fa/totp/activate/"


def test_it_sends_an_agency_admin_and_a_platform_admin_too(
    client, mof_head, platform_admin, mfa_required
):
    for user in (mof_head, platform_admin):
        client.force_login(user)
        assert client.get("/").url == "/accounts/2fa/totp/activate/"


def test_it_lets_the_agent_reach_the_set_up_page_and_sign_out(
    client, mof_agent, password, mfa_required
):
    response = client.post(
        "/accounts/login/", {"login": "agent@mof.gov.test", "password": password}, follow=True
    )
    # allauth asks for the password again before any change to MFA.
    assert response.redirect_chain[-1][0].startswith("/accounts/reauthenticate/")
    assert "Your role needs two-factor authentication" in response.content.decode()
    response = client.post(response.redirect_chain[-1][0], {"password": password}, follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/2fa/totp/activate/"
    assert response.status_code == 200
    assert client.post("/accounts/logout/").status_code == 302


def test_it_lets_an_agent_with_mfa_through(client, mof_agent, mfa_required):
    activate_totp(mof_agent)
    client.force_login(mof_agent)
    assert client.get("/profile/").status_code == 200


def test_it_does_not_require_mfa_of_requesters(client, mof_requester, mfa_required):
    client.force_login(mof_requester)
    assert client.get("/profile/").status_code == 200


def test_it_does_not_require_mfa_when_the_setting_is_off(client, mof_agent, settings):
    settings.GOVDESK_REQUIRE_MFA_FOR_STAFF = False
    client.force_login(mof_agent)
    assert client.get("/profile/").status_code == 200


def test_it_keeps_an_agent_from_switching_mfa_off(mof_agent, mfa_required):
    authenticator = activate_totp(mof_agent)
    assert MFAAdapter().can_delete_authenticator(authenticator) is False


def test_it_lets_a_requester_switch_mfa_off(mof_requester, mfa_required):
    authenticator = activate_totp(mof_requester)
    assert MFAAdapter().can_delete_authenticator(authenticator) is True


def test_it_asks_for_the_code_at_sign_in_once_mfa_is_on(client, mof_agent, password):
    activate_totp(mof_agent)
    response = client.post(
        "/accounts/login/", {"login": "agent@mof.gov.test", "password": password}
    )
    assert response.status_code == 302
    assert response.url == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session
