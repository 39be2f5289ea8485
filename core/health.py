"""/healthz: the state of the database, the broker and the scheduler, for load balancers; and
of the read replica when there is one, which never makes the answer 503 (reads fall back to
the primary, so the site works without it)."""

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.models import SchedulerHeartbeat
from core.redis_connection import redis_client
from core.replica import replica_configured, replica_status
from core.tasks import BEAT_HEARTBEAT_NAME


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # noqa: BLE001 - any failure means "down", reported as such
        return {"ok": False, "error": error.__class__.__name__}
    return {"ok": True}


def check_broker() -> dict:
    import redis

    client = redis_client(timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        return {"ok": False, "error": error.__class__.__name__}
    finally:
        client.close()
    return {"ok": True}


def check_scheduler() -> dict:
    try:
        beat = SchedulerHeartbeat.objects.filter(name=BEAT_HEARTBEAT_NAME).first()
    except Exception as error:  # noqa: BLE001 - the database check reports the cause
        return {"ok": False, "last_run_at": None, "error": error.__class__.__name__}
    if beat is None:
        return {"ok": False, "last_run_at": None, "error": "never ran"}
    late_after = timedelta(seconds=settings.GOVDESK_SCHEDULER_LATE_AFTER)
    age = timezone.now() - beat.last_run_at
    result = {"ok": age <= late_after, "last_run_at": beat.last_run_at.isoformat()}
    if not result["ok"]:
        result["error"] = f"last ran {int(age.total_seconds())} s ago"
    return result


@never_cache
@require_GET
def health(request):
    checks = {
        "database": check_database(),
        "broker": check_broker(),
        "scheduler": check_scheduler(),
    }
    healthy = all(check["ok"] for check in checks.values())
    if replica_configured():
        checks["replica"] = replica_status().as_health()
    return JsonResponse(
        {"status": "ok" if healthy else "unhealthy", "checks": checks},
        status=200 if healthy else 503,
    )
