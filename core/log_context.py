"""A request id on every log line of a request, and of every Celery task the request queued.

The web side takes the id from the `X-Request-ID` header a proxy set (nginx's `$request_id`),
or makes one; answers with it in `X-Request-ID`; and writes one line per request. Celery's
signals carry it along: `before_task_publish` puts it in a header of the message,
`task_prerun` binds it in the worker for the task's lines. structlog's contextvars hold it,
and the formatters of `helpdesk/settings.py` (JSON lines in production, readable lines in
development) add it to every line, the standard library's loggers' lines included.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

import structlog
from celery.signals import before_task_publish, task_postrun, task_prerun

request_logger = logging.getLogger("govdesk.request")
task_logger = logging.getLogger("govdesk.task")

REQUEST_ID_HEADER = "HTTP_X_REQUEST_ID"
TASK_HEADER = "govdesk_request_id"
# What a proxy's id may look like; anything else is replaced, never logged as given.
VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current_request_id() -> str | None:
    return structlog.contextvars.get_contextvars().get("request_id")


class RequestIdMiddleware:
    """Binds the request id for the request's log lines and logs the request once."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        given = request.META.get(REQUEST_ID_HEADER, "")
        request_id = given if VALID_REQUEST_ID.match(given) else uuid.uuid4().hex
        request.request_id = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            match = request.resolver_match
            request_logger.info(
                "request",
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "view": match.view_name if match else "",
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            return response
        finally:
            structlog.contextvars.clear_contextvars()


@before_task_publish.connect(dispatch_uid="govdesk.request_id_to_task")
def request_id_to_task(sender=None, headers=None, **kwargs) -> None:
    request_id = current_request_id()
    if request_id and headers is not None:
        headers[TASK_HEADER] = request_id


@task_prerun.connect(dispatch_uid="govdesk.request_id_in_task")
def request_id_in_task(sender=None, task_id=None, task=None, **kwargs) -> None:
    request_id = getattr(task.request, TASK_HEADER, None) if task is not None else None
    if task is not None and task.request.is_eager:
        # Run in the process that queued it: the request's own id is already bound.
        return
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(task_id=task_id)
    if request_id:
        structlog.contextvars.bind_contextvars(request_id=request_id)
    task_logger.info("task started", extra={"task": getattr(sender, "name", "")})


@task_postrun.connect(dispatch_uid="govdesk.request_id_after_task")
def request_id_after_task(sender=None, task=None, state=None, **kwargs) -> None:
    if task is not None and task.request.is_eager:
        return
    task_logger.info("task finished", extra={"task": getattr(sender, "name", ""), "state": state})
    structlog.contextvars.clear_contextvars()
