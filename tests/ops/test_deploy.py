"""The production compose file and nginx configuration, and what GovDesk does for them:
secrets read from files, attachments sent by nginx after GovDesk's own check."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile

from tickets.attachments import attachments_check, ticket_create_with_attachments
from tickets.models import Attachment, Category

BASE_DIR = Path(__file__).resolve().parents[2]
DEPLOY = BASE_DIR / "deploy"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.prod.yml").read_text())


def test_every_long_running_service_has_a_health_check(compose):
    for name, service in compose["services"].items():
        if service.get("restart") == "no":
            continue
        assert "test" in service.get("healthcheck", {}), name


def test_redis_keeps_an_append_only_file(compose):
    command = compose["services"]["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"


def test_secrets_come_from_files_never_from_values(compose):
    environment = compose["x-govdesk-environment"]
    for name in ("SECRET_KEY", "DATABASE_URL", "METRICS_TOKEN", "EMAIL_URL"):
        assert name not in environment
        assert environment[f"{name}_FILE"].startswith("/run/secrets/")
    assert set(compose["secrets"]) >= {"secret_key", "database_url", "metrics_token"}


def test_nginx_serves_attachments_only_through_govdesk(compose):
    prefix = compose["x-govdesk-environment"]["ATTACHMENT_ACCEL_REDIRECT"]
    nginx = (DEPLOY / "nginx.conf").read_text()
    block = nginx[nginx.index(f"location {prefix} {{") :].split("}", 1)[0]
    assert "internal;" in block
    assert "alias /data/media/;" in block
    assert "proxy_set_header X-Request-ID $request_id;" in nginx


@pytest.mark.skipif(
    not shutil.which("docker")
    or subprocess.run(["docker", "compose", "version"], capture_output=True).returncode != 0,
    reason="Docker's client with its compose plugin is not installed on this machine",
)
def test_docker_compose_accepts_the_file(tmp_path):
    env = {**os.environ, "ALLOWED_HOSTS": "desk.gov.example",
           "CSRF_TRUSTED_ORIGINS": "https://desk.gov.example",
           "SITE_URL": "https://desk.gov.example"}  # fmt: skip
    checked = subprocess.run(
        ["docker", "compose", "-f", str(DEPLOY / "docker-compose.prod.yml"), "config", "--quiet",
         "--no-interpolate"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr


def test_settings_read_secrets_from_files(tmp_path):
    secret = tmp_path / "secret_key"
    secret.write_text("a-secret-read-from-a-file-" + "k" * 40 + "\n")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
           "SECRET_KEY_FILE": str(secret), "ALLOWED_HOSTS": "desk.gov.example"}  # fmt: skip
    env.pop("SECRET_KEY", None)
    read = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.SECRET_KEY)"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert read.stdout.strip() == secret.read_text().strip(), read.stderr

    env["SECRET_KEY_FILE"] = str(tmp_path / "missing")
    refused = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=BASE_DIR, env=env, capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip
    assert refused.returncode != 0
    assert "SECRET_KEY_FILE names a file that cannot be read" in refused.stderr


def test_an_attachment_goes_out_through_nginx_after_the_check(
    client, settings, tmp_path, mof, mof_requester, moh_requester
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ATTACHMENT_ACCEL_REDIRECT = "/protected-media/"
    ticket = ticket_create_with_attachments(
        requester=mof_requester, requester_agency=mof,
        category=Category.objects.create(name="Computer", slug="computer"),
        subject="Printer offline", description="It shows an error.", impact="low",
        urgency="medium",
        files=attachments_check([SimpleUploadedFile("error.png", PNG, "image/png")]),
    )  # fmt: skip
    attachment = Attachment.objects.get()
    url = f"/tickets/{ticket.reference}/attachments/{attachment.token}/"

    client.force_login(mof_requester)
    response = client.get(url)

    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected-media/{attachment.file.name}"
    assert response["Content-Disposition"] == 'attachment; filename="error.png"'
    assert response.content == b""
    client.force_login(moh_requester)
    refused = client.get(url)
    assert refused.status_code == 404
    assert "X-Accel-Redirect" not in refused
