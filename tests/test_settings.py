"""Settings come from the environment and refuse bad or insecure values at start-up."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "desk.gov.example",
    "CSRF_TRUSTED_ORIGINS": "https://desk.gov.example",
    "DATABASE_URL": "postgres://govdesk@db.gov.example/govdesk",
    "REDIS_URL": "redis://cache.gov.example:6379/0",
    "EMAIL_URL": "smtp://mail.gov.example:587",
    "DEFAULT_FROM_EMAIL": "govdesk@gov.example",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Runs manage.py in a fresh process with exactly these variables (and PATH)."""
    clean_env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "helpdesk.settings"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**clean_env, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_it_passes_the_deploy_check_with_production_values():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SECRET_KEY", "", "SECRET_KEY must be set"),
        ("SECRET_KEY", "insecure-development-key-do-not-use-in-production", "SECRET_KEY"),
        ("SECRET_KEY", "too-short", "SECRET_KEY must be set"),
        ("ALLOWED_HOSTS", "", "ALLOWED_HOSTS must list"),
        ("DEBUG", "maybe", "DEBUG must be true or false"),
        ("DATABASE_URL", "mysql://db.gov.example/govdesk", "PostgreSQL only"),
        ("DATABASE_URL", "", "DATABASE_URL is not set"),
        ("REDIS_URL", "amqp://broker", "REDIS_URL must be a redis://"),
        ("REDIS_URL", "redis://cache.gov.example:port/0", "REDIS_URL has an invalid port"),
        ("EMAIL_URL", "pigeon://loft", "EMAIL_URL must be smtp://"),
        ("TIME_ZONE", "Africa/Atlantis", "TIME_ZONE must be an IANA time zone"),
        ("CSRF_TRUSTED_ORIGINS", "desk.gov.example", "CSRF_TRUSTED_ORIGINS must list origins"),
        ("DEFAULT_FROM_EMAIL", "nobody", "DEFAULT_FROM_EMAIL must be an e-mail address"),
        ("SESSION_COOKIE_AGE", "an hour", "SESSION_COOKIE_AGE must be a whole number"),
        ("OIDC_CLIENT_ID", "govdesk", "OIDC_SERVER_URL"),
        ("OIDC_SERVER_URL", "http://id.gov.example", "OIDC_SERVER_URL (https://...)"),
        ("LOG_LEVEL", "chatty", "LOG_LEVEL must be DEBUG"),
        ("TRUSTED_PROXY_COUNT", "0", "TRUSTED_PROXY_COUNT must be at least 1"),
    ],
)
def test_it_refuses_to_start_on_a_bad_value_naming_the_variable(variable, value, message):
    result = manage("check", **{**PRODUCTION, "BEHIND_TLS_PROXY": "1", variable: value})
    assert result.returncode != 0
    assert result.stderr.startswith("GovDesk cannot start: ")
    assert message in result.stderr
    assert variable in result.stderr
    assert "Traceback" not in result.stderr


def test_it_fails_the_deploy_check_when_production_turns_tls_off():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION, SECURE_SSL_REDIRECT="0"
    )
    assert result.returncode != 0
    assert "SECURE_SSL_REDIRECT" in result.stderr


def test_it_refuses_single_sign_on_without_a_server_even_with_debug_on():
    result = manage("check", **{**PRODUCTION, "DEBUG": "1", "OIDC_CLIENT_ID": "govdesk"})
    assert "OIDC_SERVER_URL" in result.stderr


def test_it_turns_single_sign_on_on_from_the_environment():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings as s; "
        "print(s.SOCIALACCOUNT_PROVIDERS['openid_connect']['APPS'][0]['settings'])",
        **PRODUCTION,
        OIDC_SERVER_URL="https://id.gov.example/realms/gov",
        OIDC_CLIENT_ID="govdesk",
        OIDC_CLIENT_SECRET="s3cret",
    )
    assert result.stdout.splitlines()[-1] == "{'server_url': 'https://id.gov.example/realms/gov'}"


def test_it_runs_on_the_placeholder_key_only_with_debug_on():
    result = manage("check", **{**PRODUCTION, "DEBUG": "1", "SECRET_KEY": ""})
    assert result.returncode == 0, result.stderr


def test_it_sends_security_headers(client, db):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_it_marks_signed_in_pages_no_store(client, mof_requester):
    client.force_login(mof_requester)
    response = client.get("/profile/")
    assert "no-store" in response.headers["Cache-Control"]


def test_it_lets_anonymous_pages_be_cached_by_nobody_but_the_browser(client, db):
    response = client.get("/")
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_it_uses_secure_cookies_in_production():
    # test_settings turns these off for the plain-HTTP test server; production has them on.
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT)",
        **PRODUCTION,
    )
    assert result.stdout.splitlines()[-1].split() == ["True", "True", "True"]


def test_it_turns_postgresql_jit_off_for_every_connection(db):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_it_names_every_status_open_or_closed():
    from tickets.models import Ticket

    assert set(Ticket.OPEN_STATUSES) | set(Ticket.CLOSED_STATUSES) == set(Ticket.Status.values)
    assert not set(Ticket.OPEN_STATUSES) & set(Ticket.CLOSED_STATUSES)
