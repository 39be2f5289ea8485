"""API tokens: stored as digests, expiring, revocable, and managed on the profile page."""

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from accounts.models import ApiToken
from accounts.token_services import api_token_create, api_token_revoke
from core.models import AuditEntry


def _me(client, key):
    return client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")


def test_it_stores_only_a_digest_of_the_key(mof_requester):
    token, key = api_token_create(user=mof_requester, name="Monitor")

    stored = ApiToken.objects.get(pk=token.pk)

    assert stored.key_digest == hashlib.sha256(key.encode()).hexdigest()
    assert key not in {stored.key_digest, stored.prefix, stored.name}
    assert key.startswith(stored.prefix) and len(stored.prefix) == 8
    assert len(key) >= 43  # 32 random bytes


def test_it_authenticates_with_the_key(client, mof_requester):
    _token, key = api_token_create(user=mof_requester, name="Monitor")

    response = _me(client, key)

    assert response.status_code == 200
    assert response.json()["email"] == "requester@mof.gov.test"


def test_it_refuses_a_wrong_key_with_401_and_the_scheme(client, mof_requester):
    _token, key = api_token_create(user=mof_requester, name="Monitor")

    response = _me(client, key[:-1] + ("A" if key[-1] != "A" else "B"))

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_it_answers_401_without_credentials(client, mof_requester):
    response = client.get("/api/v1/tickets/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_it_refuses_an_expired_token(client, mof_requester):
    _token, key = api_token_create(
        user=mof_requester, name="Monitor", expires_at=timezone.now() + timedelta(days=1)
    )

    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=1)):
        response = _me(client, key)

    assert response.status_code == 401


def test_it_refuses_a_revoked_token(client, mof_requester):
    token, key = api_token_create(user=mof_requester, name="Monitor")

    api_token_revoke(token=token, actor=mof_requester)

    assert _me(client, key).status_code == 401
    assert AuditEntry.objects.filter(action="api_token.revoked").count() == 1


def test_it_refuses_the_token_of_a_deactivated_person(client, mof_requester):
    _token, key = api_token_create(user=mof_requester, name="Monitor")
    mof_requester.is_active = False
    mof_requester.save(update_fields=["is_active"])

    assert _me(client, key).status_code == 401


def test_it_records_the_last_use_at_most_once_a_minute(client, mof_requester):
    token, key = api_token_create(user=mof_requester, name="Monitor")
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        _me(client, key)
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        _me(client, key)
    token.refresh_from_db()
    assert token.last_used_at == start
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        _me(client, key)
    token.refresh_from_db()
    assert token.last_used_at == start + timedelta(seconds=61)


def test_it_refuses_an_expiry_in_the_past(mof_requester):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        api_token_create(
            user=mof_requester, name="Old", expires_at=timezone.now() - timedelta(seconds=1)
        )


def test_it_prints_a_new_token_alone_on_the_last_line(client, mof_agent):
    out = StringIO()

    call_command("create_api_token", "AGENT@mof.gov.test", "--name", "Nightly export", stdout=out)

    key = out.getvalue().splitlines()[-1]
    assert ApiToken.objects.get(user=mof_agent).name == "Nightly export"
    assert _me(client, key).json()["email"] == "agent@mof.gov.test"


def test_it_refuses_a_token_for_nobody(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No active person"):
        call_command("create_api_token", "ghost@mof.gov.test", stdout=StringIO())


# -- The tokens page --------------------------------------------------------------------------


def test_it_shows_a_new_key_once(client, mof_requester):
    client.force_login(mof_requester)

    response = client.post("/profile/tokens/", {"name": "Payroll monitor", "expires_in": "30"})

    assert response.status_code == 200
    key = response.context["new_key"]
    assert key in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=mof_requester)
    assert token.expires_at > timezone.now() + timedelta(days=29)
    listed = client.get("/profile/tokens/")
    assert key not in listed.content.decode()
    assert token.prefix in listed.content.decode()


def test_it_shows_form_errors_on_the_tokens_page(client, mof_requester):
    client.force_login(mof_requester)

    response = client.post("/profile/tokens/", {"name": "", "expires_in": "7"})

    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"name", "expires_in"}
    assert not ApiToken.objects.exists()


def test_it_lists_tokens_in_a_fixed_number_of_queries(
    client, mof_requester, django_assert_num_queries
):
    for n in range(5):
        api_token_create(user=mof_requester, name=f"Token {n}")
    client.force_login(mof_requester)

    # 1 session, 2 user, 3 memberships (acting as), 4 tokens, 5 unread notices in the header
    with django_assert_num_queries(5):
        response = client.get("/profile/tokens/")

    assert response.status_code == 200
    assert len(response.context["tokens"]) == 5


def test_it_revokes_a_token_from_the_page(client, mof_requester):
    token, key = api_token_create(user=mof_requester, name="Monitor")
    client.force_login(mof_requester)

    response = client.post(f"/profile/tokens/{token.pk}/revoke/")

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert _me(client, key).status_code == 401


def test_it_answers_404_for_another_persons_token(client, mof_requester, moh_requester):
    token, _key = api_token_create(user=mof_requester, name="Monitor")
    client.force_login(moh_requester)

    assert client.post(f"/profile/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_it_links_the_tokens_page_from_the_profile(client, mof_requester):
    client.force_login(mof_requester)

    assert 'href="/profile/tokens/"' in client.get("/profile/").content.decode()


def test_it_lets_a_platform_admin_revoke_a_token_in_the_django_admin(
    client, platform_admin, mof_requester
):
    token, key = api_token_create(user=mof_requester, name="Monitor")
    client.force_login(platform_admin)

    listed = client.get("/django-admin/accounts/apitoken/")
    client.post(
        "/django-admin/accounts/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )

    assert listed.status_code == 200
    assert key not in listed.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
