"""Single sign-on through a real, certified OpenID provider: the `oidc-provider` package run
with node on loopback (tests/ops/oidc/provider.mjs; `make test` installs it), a real browser.

Discovery, the authorisation code flow with PKCE (the provider refuses a code exchanged
without its verifier), the ID token checked by allauth against the provider's keys, a new
civil servant placed in their agency by the domain of their e-mail address, and two-factor
authentication asked once, not again.
"""

import json
import os
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret, hotp_value
from allauth.socialaccount.models import SocialAccount
from playwright.sync_api import expect

from accounts.models import Membership, Role, User
from tests.ops.servers import free_port, stop_pid

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group(name="browser")]
PROVIDER_DIR = Path(__file__).resolve().parent.parent / "ops" / "oidc"
CLIENT_ID, CLIENT_SECRET = "govdesk", "test-only-client-secret"
ACCOUNTS = {
    "amara": {"email": "amara.sheriff@mof.gov.test", "name": "Amara Sheriff"},
    "james": {"email": "agent@mof.gov.test", "name": "James Tarpeh"},
}


@pytest.fixture
def oidc_provider(live_server, settings):
    node = shutil.which("node")
    if not node or not (PROVIDER_DIR / "node_modules" / "oidc-provider").exists():
        pytest.fail("Single sign-on tests need node and oidc-provider: run `make oidc-provider`")
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    redirect_uri = f"{live_server.url}/accounts/oidc/national-id/login/callback/"
    env = {
        **os.environ,
        "PORT": str(port),
        "OIDC_CLIENT": json.dumps(
            {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uri": redirect_uri}
        ),
        "OIDC_ACCOUNTS": json.dumps(ACCOUNTS),
    }
    process = subprocess.Popen(
        [node, "provider.mjs"], cwd=PROVIDER_DIR, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True, start_new_session=True,
    )  # fmt: skip
    assert process.stdout.readline().startswith("ready"), "the provider did not start"
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    # What OIDC_SERVER_URL and OIDC_CLIENT_ID set up (helpdesk/settings.py), pointed at it.
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": "national-id",
                    "name": "National ID",
                    "client_id": CLIENT_ID,
                    "secret": CLIENT_SECRET,
                    "settings": {"server_url": issuer},
                }
            ],
        }
    }
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {**directives, "form-action": [*directives["form-action"], issuer]}
    }
    yield issuer, lines
    stop_pid(process)
    reader.join(timeout=5)
    process.stdout.close()


@pytest.fixture
def sso_page(browser, live_server, oidc_provider):
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def sign_in_at_the_provider(page, login: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_role("button", name=re.compile("National ID")).or_(
        page.get_by_role("link", name=re.compile("National ID"))
    ).first.click()
    page.wait_for_load_state()
    if "/accounts/oidc/national-id/login/" in page.url:
        # allauth asks before leaving for the provider (no sign-in starts on a mere GET).
        page.locator("main").get_by_role("button", name="Continue").click()
    # The provider's own pages: sign in, then agree to share the e-mail address and name.
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password")
    page.locator("button[type=submit]").click()
    page.get_by_role("button", name="Continue").click()


def test_a_new_civil_servant_signs_in_and_joins_their_agency(sso_page, oidc_provider, mof):
    issuer, provider_log = oidc_provider

    sign_in_at_the_provider(sso_page, "amara")

    expect(sso_page.locator("header")).to_contain_text("Signed in as amara.sheriff@mof.gov.test")
    expect(sso_page.locator("header")).to_contain_text("Requester · Ministry of Finance")
    person = User.objects.get(email="amara.sheriff@mof.gov.test")
    membership = Membership.objects.get(user=person)
    assert (membership.agency, membership.role) == (mof, Role.REQUESTER)
    account = SocialAccount.objects.get(user=person)
    assert (account.provider, account.uid) == ("national-id", "amara")
    # allauth read the issuer's discovery document, verified the ID token it was given (the
    # provider's claims arrived), and sent the PKCE verifier of an S256 challenge.
    assert account.extra_data["id_token"]["iss"] == issuer
    assert account.extra_data["id_token"]["aud"] == CLIENT_ID
    assert account.extra_data["userinfo"]["email"] == "amara.sheriff@mof.gov.test"
    exchanges = "".join(provider_log)
    assert "authorization S256" in exchanges
    assert "grant with verifier" in exchanges


def test_two_factor_authentication_is_asked_once_and_not_again(
    sso_page, oidc_provider, mof_agent, settings
):
    settings.GOVDESK_REQUIRE_MFA_FOR_STAFF = True
    secret = generate_totp_secret()
    TOTP.activate(mof_agent, secret)
    SocialAccount.objects.create(user=mof_agent, provider="national-id", uid="james")

    sign_in_at_the_provider(sso_page, "james")

    # GovDesk's own second factor, once: the provider's sign-in proves the password only.
    expect(sso_page).to_have_url(re.compile("/accounts/2fa/authenticate/$"))
    sso_page.locator("main").get_by_label("Code").fill(
        f"{hotp_value(secret, int(time.time()) // 30):06d}"
    )
    sso_page.locator("main").get_by_role("button", name="Sign In").click()
    expect(sso_page.locator("header")).to_contain_text("Agent · Ministry of Finance")
    sso_page.goto("/queue/")
    assert "/accounts/2fa/" not in sso_page.url
    assert "/accounts/login" not in sso_page.url
