"""GovDesk settings, read from the environment.

Every value an operator may change is an environment variable (README.md lists them). Bad
values stop the process at start-up with the variable's name; see helpdesk/env.py.
Django's settings reference: https://docs.djangoproject.com/en/5.2/ref/settings/
"""

import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

import structlog
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from helpdesk.env import (
    database_from_env,
    email_from_env,
    env_bool,
    env_email_address,
    env_float,
    env_int,
    env_list,
    env_origins,
    env_rate,
    env_str,
    env_time_zone,
    redis_url_from_env,
)

BASE_DIR = Path(__file__).resolve().parent.parent

# -- Core -------------------------------------------------------------------------------------
# The placeholder only ever serves DEBUG runs; production refuses to start with it.
PLACEHOLDER_SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", PLACEHOLDER_SECRET_KEY)
if not DEBUG and (SECRET_KEY == PLACEHOLDER_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 50 characters when DEBUG is off "
        '(python -c "import secrets; print(secrets.token_urlsafe(64))" makes one)'
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS must list the host names GovDesk answers to when DEBUG is off"
    )
CSRF_TRUSTED_ORIGINS = env_origins("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django.contrib.postgres",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "django_celery_beat",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "pgtrigger",
    "pghistory",
    "core",
    "accounts",
    "agencies",
    "service_levels",
    "tickets",
    "mail",
    "notifications",
    "webhooks",
    "knowledge",
    "satisfaction",
    "workspace",
    "incidents",
    "channels",
    "reports",
    "privacy",
    "demo",
]

MIDDLEWARE = [
    # First: the request id is on every line logged below, and the latency counts everything.
    "core.log_context.RequestIdMiddleware",
    "helpdesk.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # request.htmx: the workspace and help scripts ask for one region with htmx's headers.
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.CurrentMembershipMiddleware",
    "accounts.middleware.RequireMFAMiddleware",
    "core.middleware.NoStoreForSignedInMiddleware",
    # Configuration history names who made a change; the access log records who read what.
    "pghistory.middleware.HistoryMiddleware",
    "privacy.middleware.AccessLogMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
# Project templates override Django's form templates (templates/django/forms/).
# The project's templates; select lists written without a template per option.
FORM_RENDERER = "core.form_rendering.FormRenderer"
WSGI_APPLICATION = "helpdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.membership",
                "notifications.context_processors.notices",
            ],
        },
    },
]

# -- Database: PostgreSQL only ----------------------------------------------------------------
DATABASES = {"default": database_from_env("DATABASE_URL")}
# A streaming replica for the reads that may be a little old (core/replica.py): dashboards,
# the Council view, exports and rollup rebuilds. Reads fall back to the primary when it is
# down, is no replica, or lags more than REPLICA_MAX_LAG_SECONDS.
REPLICA_MAX_LAG_SECONDS = env_int("REPLICA_MAX_LAG_SECONDS", 30, minimum=1)
REPLICA_CHECK_SECONDS = env_int("REPLICA_CHECK_SECONDS", 5, minimum=1)
if env_str("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = database_from_env("DATABASE_REPLICA_URL")
    DATABASES["replica"]["OPTIONS"]["connect_timeout"] = 3
    # Tests use the primary's test database for it: the router's choice, not the data, is
    # what a test checks.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    primary, replica = DATABASES["default"], DATABASES["replica"]
    if all(primary.get(key) == replica.get(key) for key in ("HOST", "PORT", "NAME")):
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL names the same server and database as DATABASE_URL: give "
            "the address of a streaming replica, or leave it unset"
        )
    DATABASE_ROUTERS = ["core.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# -- Redis: cache (rate limits), Celery broker ------------------------------------------------
# One address (REDIS_URL), or Redis Sentinel: REDIS_SENTINELS (host:port,host:port) and
# REDIS_SENTINEL_MASTER, for the cache and the broker alike (core/redis_connection.py).
REDIS_SENTINEL_MASTER = env_str("REDIS_SENTINEL_MASTER")
REDIS_SENTINEL_DB = env_int("REDIS_SENTINEL_DB", 0)
REDIS_SENTINELS: list[tuple[str, int]] = []
if env_str("REDIS_SENTINELS") or REDIS_SENTINEL_MASTER:
    from core.redis_connection import parse_sentinels

    try:
        REDIS_SENTINELS = parse_sentinels(env_str("REDIS_SENTINELS"))
    except ValueError as error:
        raise ImproperlyConfigured(str(error)) from None
    if not REDIS_SENTINEL_MASTER:
        raise ImproperlyConfigured(
            "REDIS_SENTINEL_MASTER must name the master the Sentinels watch (such as "
            "govdesk) when REDIS_SENTINELS is set"
        )
    REDIS_URL = env_str("REDIS_URL")
else:
    REDIS_URL = redis_url_from_env("REDIS_URL")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "govdesk"),
        "TIMEOUT": 300,
    }
}
if REDIS_SENTINELS:
    CACHES["default"]["LOCATION"] = [f"sentinel://{REDIS_SENTINEL_MASTER}/{REDIS_SENTINEL_DB}"]
    CACHES["default"]["OPTIONS"] = {
        "pool_class": "core.redis_connection.SentinelMasterPool",
        "sentinels": REDIS_SENTINELS,
    }
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# -- Accounts and sign-in (django-allauth) ----------------------------------------------------
# https://docs.allauth.org/en/latest/account/configuration.html
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupDetailsForm"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env_str("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
if ACCOUNT_EMAIL_VERIFICATION not in {"mandatory", "optional", "none"}:
    raise ImproperlyConfigured(
        "ACCOUNT_EMAIL_VERIFICATION must be mandatory, optional or none, "
        f"got {ACCOUNT_EMAIL_VERIFICATION!r}"
    )
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PREVENT_ENUMERATION = True
# Sign-in attempts: allauth counts failures per address and per IP in the Redis cache.
LOGIN_FAILURES_ALLOWED = env_int("LOGIN_FAILURES_ALLOWED", 5, minimum=1)
ACCOUNT_RATE_LIMITS = {
    "login_failed": f"20/m/ip,{LOGIN_FAILURES_ALLOWED}/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
# Self sign-up: anyone may register (and is verified by e-mail) unless switched off.
GOVDESK_ALLOW_SIGNUP = env_bool("ALLOW_SIGNUP", True)
# Addresses on no agency's domain: members of the public using online government services.
GOVDESK_ALLOW_PUBLIC_SIGNUP = env_bool("ALLOW_PUBLIC_SIGNUP", True)

# -- Multi-factor authentication --------------------------------------------------------------
MFA_ADAPTER = "accounts.adapters.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env_str("MFA_TOTP_ISSUER", "GovDesk")
# Agents and administrators must set up MFA before doing anything else.
GOVDESK_REQUIRE_MFA_FOR_STAFF = env_bool("REQUIRE_MFA_FOR_STAFF", not DEBUG)

# -- Single sign-on (OpenID Connect), off unless configured -----------------------------------
# https://docs.allauth.org/en/latest/socialaccount/providers/openid_connect.html
OIDC_SERVER_URL = env_str("OIDC_SERVER_URL")
OIDC_CLIENT_ID = env_str("OIDC_CLIENT_ID")
OIDC_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET")
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": []}}
if OIDC_SERVER_URL or OIDC_CLIENT_ID:
    https_or_debug = OIDC_SERVER_URL.startswith("https://") or (DEBUG and OIDC_SERVER_URL)
    if not https_or_debug or not OIDC_CLIENT_ID:
        raise ImproperlyConfigured(
            "OIDC_SERVER_URL (https://...) and OIDC_CLIENT_ID must be set together to turn on "
            "single sign-on"
        )
    SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"].append(
        {
            "provider_id": env_str("OIDC_PROVIDER_ID", "national-id"),
            "name": env_str("OIDC_PROVIDER_NAME", "National ID"),
            "client_id": OIDC_CLIENT_ID,
            "secret": OIDC_CLIENT_SECRET,
            "settings": {"server_url": OIDC_SERVER_URL},
        }
    )

# -- E-mail -----------------------------------------------------------------------------------
globals().update(email_from_env("EMAIL_URL", "console://"))
DEFAULT_FROM_EMAIL = env_email_address("DEFAULT_FROM_EMAIL", "GovDesk <govdesk@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Links in e-mail point here; Message-IDs use this domain.
GOVDESK_SITE_URL = env_origins("SITE_URL")[0] if env_str("SITE_URL") else "http://127.0.0.1:8000"
# What happens to one ticket for one person within this many seconds leaves as one e-mail.
GOVDESK_EMAIL_GROUP_SECONDS = env_int("EMAIL_GROUP_SECONDS", 120)
GOVDESK_MAIL_DOMAIN = env_str(
    "MAIL_DOMAIN", DEFAULT_FROM_EMAIL.rpartition("@")[2].rstrip(">").strip() or "localhost"
)

# -- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_time_zone("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# -- Static files -----------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / ".devdata" / "media")))

# -- Attachments ------------------------------------------------------------------------------
# Stored under MEDIA_ROOT, which no URL serves: files go out only through the ticket's view.
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_MB", 10, minimum=1) * 1024 * 1024
ATTACHMENT_MAX_FILES = env_int("ATTACHMENT_MAX_FILES", 5, minimum=1)
# Behind nginx: the prefix of its internal location for MEDIA_ROOT, such as /protected-media/;
# downloads are then checked by GovDesk and sent by nginx (core/file_serving.py).
ATTACHMENT_ACCEL_REDIRECT = env_str("ATTACHMENT_ACCEL_REDIRECT")
if ATTACHMENT_ACCEL_REDIRECT and not (
    ATTACHMENT_ACCEL_REDIRECT.startswith("/") and ATTACHMENT_ACCEL_REDIRECT.endswith("/")
):
    raise ImproperlyConfigured(
        "ATTACHMENT_ACCEL_REDIRECT must be a path such as /protected-media/, got "
        f"{ATTACHMENT_ACCEL_REDIRECT!r}"
    )

# -- API (REST API v1 at /api/v1/; helpdesk/api.py) --------------------------------------------
# https://www.django-rest-framework.org/api-guide/settings/
# Requests allowed per token (or per signed-in session) before 429 Too Many Requests.
GOVDESK_API_THROTTLE_RATE = env_rate("API_THROTTLE_RATE", "600/minute")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so that a request without credentials is answered 401 with WWW-Authenticate.
        "accounts.api_auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["accounts.api_throttling.TokenRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "core.api_pagination.CursorPagination",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api_errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": False,
}
# https://drf-spectacular.readthedocs.io/en/latest/settings.html
SPECTACULAR_SETTINGS = {
    "TITLE": "GovDesk API",
    "DESCRIPTION": (
        "The help desk of every ministry, agency and commission. Authenticate with "
        "`Authorization: Token <key>`; see the README's REST API section."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI's files come from GovDesk itself (drf-spectacular-sidecar), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "AUTHENTICATION_WHITELIST": ["accounts.api_auth.TokenAuthentication"],
    # Impact and urgency share one set of choices: one name in the schema.
    "ENUM_NAME_OVERRIDES": {
        "LevelEnum": "tickets.models.Level",
        "ArticleStatusEnum": "knowledge.models.Article.Status",
        "TicketStatusEnum": "tickets.models.Ticket.Status",
    },
}
# Webhooks refuse addresses that resolve to loopback, private, link-local or reserved ranges
# (no server-side request forgery), and plain http://, unless this is on: for tests and
# closed networks only.
GOVDESK_WEBHOOK_ALLOW_PRIVATE_URLS = env_bool("WEBHOOK_ALLOW_PRIVATE_URLS", False)
GOVDESK_WEBHOOK_TIMEOUT = env_int("WEBHOOK_TIMEOUT", 10, minimum=1)

# -- Security ---------------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60, minimum=60)
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers probe health over plain HTTP on the private side.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto and X-Forwarded-For.
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # allauth's per-IP rate limits must count the client, not the proxy in front of it.
    ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1, minimum=1)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# django-csp: no inline script or style without this request's nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [NONE],
        "connect-src": [SELF],
        "form-action": [SELF, *([OIDC_SERVER_URL] if OIDC_SERVER_URL else [])],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

# -- Celery -----------------------------------------------------------------------------------
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
CELERY_BROKER_URL = REDIS_URL
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Longer than any task's hard time limit, so a slow task is not redelivered mid-run.
    "visibility_timeout": 3600,
    "socket_connect_timeout": 5,
}
if REDIS_SENTINELS:
    # kombu's Sentinel transport: asks the Sentinels for the master, again after a failover.
    CELERY_BROKER_URL = ";".join(
        f"sentinel://{host}:{port}/{REDIS_SENTINEL_DB}" for host, port in REDIS_SENTINELS
    )
    CELERY_BROKER_TRANSPORT_OPTIONS |= {
        "master_name": REDIS_SENTINEL_MASTER,
        "sentinel_kwargs": {"socket_connect_timeout": 5, "socket_timeout": 5},
    }
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "govdesk")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
CELERY_TIMEZONE = TIME_ZONE
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "scheduler-heartbeat": {
        "task": "core.tasks.record_scheduler_heartbeat",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "sla-escalation-sweep": {
        "task": "tickets.tasks.sweep_escalations",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "requeue-unsent-messages": {
        "task": "mail.tasks.requeue_unsent",
        "schedule": 120.0,
        "options": {"expires": 110},
    },
    # Work recorded after a change (core/pending_work.py) whose drain was lost or failed:
    # ticket events for their subscribers, above all.
    "drain-pending-work": {
        "task": "core.tasks.drain_pending_work",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "close-resolved-tickets": {
        "task": "tickets.tasks.close_resolved_tickets",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
    # Each morning in TIME_ZONE, before the working day: notices since the last summary.
    "send-daily-digests": {
        "task": "notifications.tasks.send_daily_digests",
        "schedule": crontab(hour=7, minute=0),
        "options": {"expires": 3 * 3600},
    },
    # Each night in TIME_ZONE: the dashboards' rollups of the last days, rebuilt from source.
    "rebuild-recent-rollups": {
        "task": "reports.tasks.rebuild_recent_rollups",
        "schedule": crontab(hour=2, minute=30),
        "options": {"expires": 3 * 3600},
    },
}
# -- Major incidents (incidents/detection.py) --------------------------------------------------
# Detection looks at the tickets of the last INCIDENT_WINDOW_MINUTES and proposes a major
# incident for a cluster of at least INCIDENT_MIN_TICKETS from INCIDENT_MIN_AGENCIES agencies:
# the same shared service, or subjects at least INCIDENT_SIMILARITY alike (trigram, 0 to 1).
INCIDENT_WINDOW_MINUTES = env_int("INCIDENT_WINDOW_MINUTES", 30, minimum=1)
INCIDENT_MIN_TICKETS = env_int("INCIDENT_MIN_TICKETS", 5, minimum=2)
INCIDENT_MIN_AGENCIES = env_int("INCIDENT_MIN_AGENCIES", 3, minimum=1)
INCIDENT_SIMILARITY = env_float("INCIDENT_SIMILARITY", 0.5, minimum=0.1, maximum=1.0)
INCIDENT_DETECT_SECONDS = env_int("INCIDENT_DETECT_SECONDS", 120, minimum=10)
CELERY_BEAT_SCHEDULE["detect-major-incidents"] = {
    "task": "incidents.tasks.detect_major_incidents",
    "schedule": float(INCIDENT_DETECT_SECONDS),
    "options": {"expires": INCIDENT_DETECT_SECONDS - 5},
}
# -- Knowledge base and satisfaction -----------------------------------------------------------
# Each morning: the owners of articles whose review is due hear of it, once per due date.
CELERY_BEAT_SCHEDULE["remind-article-reviews"] = {
    "task": "knowledge.tasks.remind_article_reviews",
    "schedule": crontab(hour=6, minute=30),
    "options": {"expires": 3 * 3600},
}
# How long the link in a resolution e-mail lets the requester answer "was this solved?".
SATISFACTION_LINK_DAYS = env_int("SATISFACTION_LINK_DAYS", 14, minimum=1)
# /healthz calls the scheduler late after this many seconds without a heartbeat.
GOVDESK_SCHEDULER_LATE_AFTER = env_int("SCHEDULER_LATE_AFTER", 300, minimum=60)
# /metrics (helpdesk/metrics.py) answers only `Authorization: Bearer <METRICS_TOKEN>`; unset, 404.
METRICS_TOKEN = env_str("METRICS_TOKEN")
if METRICS_TOKEN and len(METRICS_TOKEN) < 32:
    raise ImproperlyConfigured(
        "METRICS_TOKEN must be at least 32 characters "
        '(python -c "import secrets; print(secrets.token_urlsafe(32))" makes one)'
    )

# -- Logging ----------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(
        f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {LOG_LEVEL!r}"
    )
# JSON lines in production (one object a line, for a log shipper), readable lines in
# development; both carry the request id of core/log_context.py. https://www.structlog.org/
LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, got {LOG_FORMAT!r}")
LOG_PRE_CHAIN = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.ExtraAdder(),
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "structured": {
            "()": structlog.stdlib.ProcessorFormatter,
            "foreign_pre_chain": LOG_PRE_CHAIN,
            "processors": [
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *(
                    [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
                    if LOG_FORMAT == "json"
                    else [structlog.dev.ConsoleRenderer(colors=False)]
                ),
            ],
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # One line per history trigger on every migrate and test database: warnings only.
        "pgtrigger": {"level": "WARNING"},
    },
}

# -- Mail in (mail/inbound.py, mail/mailboxes.py) -----------------------------------------
# Each active InboundMailbox is read over IMAP this often; one task per mailbox.
INBOUND_POLL_SECONDS = env_int("INBOUND_POLL_SECONDS", 60, minimum=10)
CELERY_BEAT_SCHEDULE["poll-inbound-mailboxes"] = {
    "task": "mail.tasks.poll_inbound_mailboxes",
    "schedule": float(INBOUND_POLL_SECONDS),
    "options": {"expires": INBOUND_POLL_SECONDS - 5},
}
# Mailbox passwords are encrypted with this Fernet key, else with one derived from SECRET_KEY.
INBOUND_MAIL_KEY = env_str("INBOUND_MAIL_KEY")
if INBOUND_MAIL_KEY:
    from cryptography.fernet import Fernet

    try:
        Fernet(INBOUND_MAIL_KEY)
    except ValueError:
        raise ImproperlyConfigured(
            "INBOUND_MAIL_KEY must be a Fernet key: 32 url-safe base64-encoded bytes "
            '(python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key())")'
        ) from None
# Certificates to trust for IMAP over TLS besides the system's, such as a government CA.
INBOUND_IMAP_CA_FILE = env_str("INBOUND_IMAP_CA_FILE")
if INBOUND_IMAP_CA_FILE and not Path(INBOUND_IMAP_CA_FILE).is_file():
    raise ImproperlyConfigured(
        f"INBOUND_IMAP_CA_FILE must name a PEM file of certificates, got {INBOUND_IMAP_CA_FILE!r}"
    )
INBOUND_IMAP_TIMEOUT = env_int("INBOUND_IMAP_TIMEOUT", 30, minimum=1)
# Messages read from one mailbox per poll; the rest wait for the next.
INBOUND_FETCH_LIMIT = env_int("INBOUND_FETCH_LIMIT", 100, minimum=1)
# A larger message is kept and quarantined without opening its attachments.
INBOUND_MAX_MESSAGE_BYTES = env_int("INBOUND_MAX_MESSAGE_MB", 50, minimum=1) * 1024 * 1024
# The authserv-id of the receiving mail server, whose Authentication-Results headers are
# believed (SPF, DKIM, DMARC). Set, staff e-mail acts as staff only when verified.
INBOUND_TRUSTED_AUTHSERV_ID = env_str("INBOUND_TRUSTED_AUTHSERV_ID")
if any(c.isspace() or c in ';()"' for c in INBOUND_TRUSTED_AUTHSERV_ID):
    raise ImproperlyConfigured(
        "INBOUND_TRUSTED_AUTHSERV_ID must be one word, the name the receiving server gives "
        "itself in Authentication-Results (such as mx.gov.example), got "
        f"{INBOUND_TRUSTED_AUTHSERV_ID!r}"
    )
# A requester's reply that fails the sender checks: held (False), or added marked "sender
# not verified" (True). Staff e-mail that fails is always held.
INBOUND_ACCEPT_UNVERIFIED_REQUESTER_REPLIES = env_bool(
    "INBOUND_ACCEPT_UNVERIFIED_REQUESTER_REPLIES", False
)

# -- Data protection (privacy/) ---------------------------------------------------------------
# Configuration history (django-pghistory) keeps its triggers out of the tracked apps'
# migrations: they are installed after every migrate instead.
PGTRIGGER_MIGRATIONS = False
PGTRIGGER_INSTALL_ON_MIGRATE = True
# Reads of personal data wait in Redis for at most this long before the database has them.
PRIVACY_ACCESS_LOG_FLUSH_SECONDS = env_int("PRIVACY_ACCESS_LOG_FLUSH_SECONDS", 30, minimum=5)
CELERY_BEAT_SCHEDULE["flush-access-log"] = {
    "task": "privacy.tasks.flush_access_log",
    "schedule": float(PRIVACY_ACCESS_LOG_FLUSH_SECONDS),
    "options": {"expires": PRIVACY_ACCESS_LOG_FLUSH_SECONDS},
}
# Each night in TIME_ZONE: personal data of tickets closed longer ago than their agency keeps it.
CELERY_BEAT_SCHEDULE["apply-retention"] = {
    "task": "privacy.tasks.apply_retention",
    "schedule": crontab(hour=3, minute=15),
    "options": {"expires": 3 * 3600},
}
# Secrets and identifiers masked in ticket text for everyone but the handling agents: a name
# and a regular expression each. PRIVACY_EXTRA_SECRET_PATTERNS adds an installation's own, as
# "name=regex" entries separated by commas (a national ID number's format, for example).
PRIVACY_SECRET_PATTERNS = [
    ("password", r"(?i)\b(?:password|passwd|pwd|mot de passe)\s*[:=]\s*\S+"),
    ("api_key", r"(?i)\b(?:api[_ -]?key|token|secret)\s*[:=]\s*\S{8,}"),
    ("api_key", r"\b(?:sk|pk|ghp|gho|xox[abp])[_-][A-Za-z0-9_-]{16,}\b"),
    ("iban", r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,4})?\b"),
    ("card", r"\b(?:\d[ -]?){13,19}\b"),
    ("national_id", r"\b(?:\d{9}[VvXx]|\d{12})\b"),
] + [
    tuple(entry.split("=", 1))
    for entry in env_list("PRIVACY_EXTRA_SECRET_PATTERNS", [])
    if "=" in entry
]

# -- SMS and USSD (channels/) -------------------------------------------------------------------
# The gateways call /channels/<gateway>/<SMS_CALLBACK_TOKEN>/sms/ and .../ussd/; unset, every
# callback is a 404. SMS_GATEWAY names the module (channels/gateways/) that sends SMS.
SMS_CALLBACK_TOKEN = env_str("SMS_CALLBACK_TOKEN")
SMS_GATEWAY = env_str("SMS_GATEWAY", "africastalking")
AFRICASTALKING_USERNAME = env_str("AFRICASTALKING_USERNAME")
AFRICASTALKING_API_KEY = env_str("AFRICASTALKING_API_KEY")
# The short code or sender ID SMS come from; empty: the account's default.
AFRICASTALKING_SENDER = env_str("AFRICASTALKING_SENDER")
AFRICASTALKING_BASE_URL = env_str("AFRICASTALKING_BASE_URL", "https://api.africastalking.com")
if urlsplit(AFRICASTALKING_BASE_URL).scheme not in {"http", "https"}:
    raise ImproperlyConfigured(
        "AFRICASTALKING_BASE_URL must be an http(s) address such as "
        f"https://api.africastalking.com, got {AFRICASTALKING_BASE_URL!r}"
    )
SMS_GATEWAY_TIMEOUT = env_int("SMS_GATEWAY_TIMEOUT", 10, minimum=1)
# Addresses or networks (such as 192.0.2.0/24) the callbacks are taken from; empty: any.
try:
    SMS_GATEWAY_ALLOWED_NETWORKS = [
        ipaddress.ip_network(entry, strict=False)
        for entry in env_list("SMS_GATEWAY_ALLOWED_IPS", [])
    ]
except ValueError as error:
    raise ImproperlyConfigured(
        f"SMS_GATEWAY_ALLOWED_IPS must list addresses or networks: {error}"
    ) from None
# Numbers written without + are read in this country (ISO code such as KE); empty: + needed.
SMS_DEFAULT_REGION = env_str("SMS_DEFAULT_REGION").upper()
if SMS_DEFAULT_REGION and not (len(SMS_DEFAULT_REGION) == 2 and SMS_DEFAULT_REGION.isalpha()):
    raise ImproperlyConfigured(
        f"SMS_DEFAULT_REGION must be a two-letter country code such as KE, got "
        f"{SMS_DEFAULT_REGION!r}"
    )
SMS_RATE_PER_NUMBER = env_rate("SMS_RATE_PER_NUMBER", "20/hour")
USSD_RATE_PER_NUMBER = env_rate("USSD_RATE_PER_NUMBER", "60/hour")
SMS_CODE_RATE = env_rate("SMS_CODE_RATE", "5/hour")
SMS_MAX_TEXT = env_int("SMS_MAX_TEXT", 1600, minimum=160)
SMS_QUARANTINE_DAYS = env_int("SMS_QUARANTINE_DAYS", 7, minimum=1)
CELERY_BEAT_SCHEDULE["purge-sms-quarantine"] = {
    "task": "channels.tasks.purge_sms_quarantine",
    "schedule": crontab(hour=3, minute=45),
    "options": {"expires": 3 * 3600},
}
