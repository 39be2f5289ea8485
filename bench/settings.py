"""Settings of the benchmark server: production's, plus what only a benchmark needs.

Nothing here is reachable from helpdesk/settings.py: the query-count header and the ceiling
page exist only when DJANGO_SETTINGS_MODULE is bench.settings (bench/run.py sets it).
"""

import os

from helpdesk.settings import *  # noqa: F403
from helpdesk.settings import BASE_DIR, MIDDLEWARE, STORAGES

# First, so that it counts every query of the request, the session's and the user's included.
MIDDLEWARE = ["bench.middleware.QueryCountMiddleware", *MIDDLEWARE]
ROOT_URLCONF = "bench.urls"
# collectstatic writes here (bench/run.py), away from a deployment's own static files.
STATIC_ROOT = os.environ.get("BENCH_STATIC_ROOT") or str(BASE_DIR / ".devdata" / "bench-static")
# Pages name the same hashed files as production's; the benchmark fetches no static file, so
# collectstatic skips compressing them.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
