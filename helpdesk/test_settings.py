"""Settings for the test suite: production settings with test defaults in the environment.

The suite runs with DEBUG off, as production does. Only what a test run cannot have (TLS,
a real mail server, slow password hashing) is changed here.
"""

import os

os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "test-only-key-" + "x" * 50)
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")
os.environ.setdefault("EMAIL_URL", "locmem://")
# Each e-mail leaves at once; tests of grouping set a window themselves.
os.environ.setdefault("EMAIL_GROUP_SECONDS", "0")
# Tests that need MFA enforced turn it on themselves.
os.environ.setdefault("REQUIRE_MFA_FOR_STAFF", "0")

from helpdesk.settings import *  # noqa: F403
from helpdesk.settings import CACHES, STORAGES

# Each test process keeps its cache keys and its Celery queue apart from every other's
# (pytest-xdist workers, a `make run` on the same Redis). Set here, not in the environment,
# which the xdist workers would inherit from the process that started them.
_test_process = f"govdesk-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{os.getpid()}"
CACHES = {"default": {**CACHES["default"], "KEY_PREFIX": _test_process}}
# A worker started by a test listens on the queue of the test that started it.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("TEST_CELERY_QUEUE") or _test_process

# The test servers are plain HTTP on loopback.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = False
# No collectstatic before tests: files come straight from the app and project folders.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
