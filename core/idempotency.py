"""`Idempotency-Key` for API requests that create something.

A client that did not hear the answer to a POST sends it again with the same key and gets the
first answer back (the same status and body, and `Idempotent-Replayed: true`) instead of a
second ticket, comment or transfer. Keys belong to the person sending them and are kept for a
day. The same key with another request (another body, or another address) is refused with 422.
A refused request (an error raised, or an answer of 400 and above) keeps no key, so that the
corrected request may use it again.

The unique constraint on (person, key) is what makes two retries arriving together safe: the
second waits for the first one's transaction, then finds its row and replays its answer.

    @idempotent
    @extend_schema(...)
    @action(detail=True, methods=["post"])
    def comments(self, request, reference): ...

`@idempotent` goes above `@action`, as `@extend_schema` does: `@action` replaces what is set on
the method beneath it, and with it the header's entry in the OpenAPI schema.
"""

import functools
import hashlib
import json
from datetime import timedelta

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from core.models import IdempotencyKey

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_MAX_LENGTH = 200
# Long enough for any client's retries; a key may be used afresh after it.
KEY_LIFETIME = timedelta(hours=24)

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=(
        "Any unique string of at most 200 characters (a UUID). A retry with the same key "
        "returns the first answer, with `Idempotent-Replayed: true`, instead of doing it "
        "again; the same key with another request is refused with 422. Keys are kept for "
        "24 hours."
    ),
)


def idempotent(view_method):
    """Make a DRF view method that creates something safe to retry with `Idempotency-Key`,
    and describe the header in the OpenAPI schema. Without the header the method runs as
    it is, with no query more."""

    @functools.wraps(view_method)
    def idempotent_view_method(view, request, *args, **kwargs):
        key = request_key(request)
        if not key:
            return view_method(view, request, *args, **kwargs)
        return _answer_once(
            request=request,
            key=key,
            answer=lambda: view_method(view, request, *args, **kwargs),
        )

    return extend_schema(parameters=[IDEMPOTENCY_KEY_PARAMETER])(idempotent_view_method)


def request_key(request) -> str:
    """The request's key, '' for none; a 400 for one too long to keep."""
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if len(key) > KEY_MAX_LENGTH:
        raise exceptions.ValidationError({IDEMPOTENCY_HEADER: [_("Use at most 200 characters.")]})
    return key


def request_digest(request) -> str:
    """SHA-256 of what the request asks: its address and its body, files by their content."""
    asked = {"path": request.path, "data": _canonical(request.data)}
    return hashlib.sha256(json.dumps(asked, sort_keys=True, default=str).encode()).hexdigest()


def _canonical(value):
    """The body as plain JSON values: a form's fields with every value, a file as its name,
    size and content digest (two uploads of the same name may differ)."""
    if isinstance(value, UploadedFile):
        content = hashlib.sha256()
        for chunk in value.chunks():
            content.update(chunk)
        value.seek(0)
        return {"name": value.name, "size": value.size, "sha256": content.hexdigest()}
    if isinstance(value, MultiValueDict):
        return {str(name): [_canonical(v) for v in values] for name, values in value.lists()}
    if isinstance(value, dict):
        return {str(name): _canonical(v) for name, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def _answer_once(*, request, key: str, answer) -> Response:
    """1. Forget the person's expired keys: the table stays small without a periodic job.
    2. Claim the key in a savepoint; a claim already made (by a retry, or by a concurrent
       request this one waited for) is replayed instead.
    3. Answer, and keep the answer with the key in the same transaction; a refusal frees it.
    """
    digest = request_digest(request)
    IdempotencyKey.objects.filter(
        user=request.user, created_at__lt=timezone.now() - KEY_LIFETIME
    ).delete()
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    user=request.user, key=key, request_digest=digest
                )
        except IntegrityError:
            return _replay(user=request.user, key=key, digest=digest)
        response = answer()
        if response.status_code >= status.HTTP_400_BAD_REQUEST:
            record.delete()
            return response
        record.response_status = response.status_code
        record.response_body = response.data
        record.save(update_fields=["response_status", "response_body"])
        return response


def _replay(*, user, key: str, digest: str) -> Response:
    record = IdempotencyKey.objects.get(user=user, key=key)
    if record.request_digest != digest:
        return Response(
            {IDEMPOTENCY_HEADER: [_("This key was used with another request.")]},
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    response = Response(record.response_body, status=record.response_status)
    response[REPLAYED_HEADER] = "true"
    return response
