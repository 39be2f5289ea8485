"""Run by tests/ops/test_replica.py as a process of its own, with DATABASE_URL and
DATABASE_REPLICA_URL naming the servers that test started: the settings read them at start.

    python -m tests.ops.replica_probe STEP

prints one JSON object: what the router chose and what each read saw.
"""

import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.test_settings")
django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from core.models import SchedulerHeartbeat  # noqa: E402
from core.replica import replica_reads, replica_status  # noqa: E402


def names(queryset) -> list[str]:
    return sorted(queryset.values_list("name", flat=True))


def routed() -> dict:
    with replica_reads():
        queryset = SchedulerHeartbeat.objects.all()
        seen = {"db": queryset.db, "names": names(queryset)}
        with transaction.atomic():
            inside = SchedulerHeartbeat.objects.all()
            seen["in_transaction"] = {"db": inside.db, "names": names(inside)}
    plain = SchedulerHeartbeat.objects.all()
    seen["outside"] = {"db": plain.db, "names": names(plain)}
    return seen


def health() -> dict:
    response = Client().get("/healthz")
    return {"status_code": response.status_code, **response.json()}


def write(name: str) -> None:
    SchedulerHeartbeat.objects.create(name=name, last_run_at=timezone.now())


def main(step: str) -> dict:
    if step == "schema":
        # The one table these reads use: quicker than every migration, and as real.
        with connection.schema_editor() as editor:
            editor.create_model(SchedulerHeartbeat)
        return {}
    if step == "write":
        write(sys.argv[2])
        return {}
    if step == "read":
        return {"routed": routed(), "health": health(), "status": vars(replica_status())}
    raise SystemExit(f"unknown step {step!r}")


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1]), default=str))
