"""Reads settings from the environment, failing at start-up with the variable's name.

A bad value must stop the process before it serves anything, with a message an operator can
act on ("DEBUG must be true or false, got 'maybe'"), never a stack trace deep in a request.
"""

from __future__ import annotations

import os
import zoneinfo
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    """The variable's value; else, when `<name>_FILE` names a file, the file's content (how
    container platforms hand over secrets); else the default."""
    value = os.environ.get(name)
    secret_file = os.environ.get(f"{name}_FILE", "").strip()
    if value is None and secret_file:
        try:
            value = Path(secret_file).read_text()
        except OSError as error:
            raise ImproperlyConfigured(
                f"{name}_FILE names a file that cannot be read: {secret_file!r} ({error.strerror})"
            ) from None
    return (default if value is None else value).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, got {raw!r}")


def env_float(name: str, default: float, *, minimum: float, maximum: float) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number such as 0.4, got {raw!r}") from None
    if not minimum <= value <= maximum:
        raise ImproperlyConfigured(f"{name} must be between {minimum} and {maximum}, got {value}")
    return value


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


RATE_UNITS = {"second", "minute", "hour", "day"}


def env_rate(name: str, default: str) -> str:
    """A rate such as 600/minute: a whole number of requests per second, minute, hour or day."""
    value = env_str(name, default)
    count, _, unit = value.partition("/")
    if not count.isdigit() or int(count) < 1 or unit not in RATE_UNITS:
        raise ImproperlyConfigured(
            f"{name} must be a number of requests per second, minute, hour or day, such as "
            f"600/minute, got {value!r}"
        )
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_origins(name: str) -> list[str]:
    origins = env_list(name, [])
    for origin in origins:
        parts = urlsplit(origin)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ImproperlyConfigured(
                f"{name} must list origins such as https://desk.gov.example, got {origin!r}"
            )
    return origins


def env_time_zone(name: str, default: str) -> str:
    value = env_str(name, default)
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(
            f"{name} must be an IANA time zone such as Africa/Monrovia, got {value!r}"
        ) from None
    return value


def env_email_address(name: str, default: str) -> str:
    value = env_str(name, default)
    _, address = parseaddr(value)
    if "@" not in address:
        raise ImproperlyConfigured(f"{name} must be an e-mail address, got {value!r}")
    return value


def database_from_env(name: str) -> dict:
    raw = env_str(name)
    if not raw:
        raise ImproperlyConfigured(
            f"{name} is not set: give a postgres:// URL, or start through `make run` or "
            "`make test`, which start an embedded PostgreSQL when it is absent"
        )
    import dj_database_url

    try:
        config = dj_database_url.parse(raw, conn_max_age=60, conn_health_checks=True)
    except (ValueError, KeyError) as error:
        raise ImproperlyConfigured(f"{name} is not a valid database URL: {error}") from None
    if config.get("ENGINE") != "django.db.backends.postgresql":
        raise ImproperlyConfigured(
            f"{name} must be a postgres:// URL: GovDesk runs on PostgreSQL only, got {raw!r}"
        )
    if not config.get("NAME"):
        raise ImproperlyConfigured(f"{name} must name a database, got {raw!r}")
    # PostgreSQL compiles a query with JIT once its estimated cost passes a threshold, which a
    # million tickets' estimates do; for a page's short queries the compiling is most of the
    # time (170 ms of a 270 ms count in the queue at 100,000 tickets), so it is turned off.
    options = config.setdefault("OPTIONS", {})
    options["options"] = " ".join(filter(None, [options.get("options", ""), "-c jit=off"]))
    return config


def redis_url_from_env(name: str) -> str:
    raw = env_str(name)
    if not raw:
        raise ImproperlyConfigured(
            f"{name} is not set: give a redis:// URL, or start through `make run` or "
            "`make test`, which start an embedded Redis when it is absent"
        )
    parts = urlsplit(raw)
    if parts.scheme not in {"redis", "rediss"} or not parts.hostname:
        raise ImproperlyConfigured(
            f"{name} must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379/0, "
            f"got {raw!r}"
        )
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ImproperlyConfigured(f"{name} has an invalid port: {raw!r}") from None
    return raw


def email_from_env(name: str, default: str) -> dict:
    """Maps `EMAIL_URL` to Django's e-mail settings.

    smtp://user:password@host:587 (STARTTLS), smtps://user:password@host:465 (TLS),
    console:// (print messages), locmem:// (tests), dummy:// (discard), devfiles://folder (a
    line on the console, the message in a file).
    """
    raw = env_str(name, default)
    parts = urlsplit(raw)
    simple_backends = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "dummy": "django.core.mail.backends.dummy.EmailBackend",
    }
    if parts.scheme in simple_backends:
        return {"EMAIL_BACKEND": simple_backends[parts.scheme]}
    if parts.scheme == "devfiles":
        # devfiles:///path/to/folder; devfiles:// alone keeps them in .devdata/mail.
        default = Path(__file__).resolve().parent.parent / ".devdata" / "mail"
        folder = unquote(parts.netloc + parts.path) or str(default)
        return {"EMAIL_BACKEND": "core.dev_mail.EmailBackend", "EMAIL_FILE_PATH": folder}
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise ImproperlyConfigured(
            f"{name} must be smtp://host:587, smtps://host:465, console://, locmem://, "
            f"dummy:// or devfiles://, got {raw!r}"
        )
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 587)
    except ValueError:
        raise ImproperlyConfigured(f"{name} has an invalid port: {raw!r}") from None
    options = parse_qs(parts.query)
    plain = options.get("tls", ["true"])[0].lower() in FALSE_WORDS
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port,
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_SSL": parts.scheme == "smtps",
        "EMAIL_USE_TLS": parts.scheme == "smtp" and not plain,
        "EMAIL_TIMEOUT": 20,
    }
