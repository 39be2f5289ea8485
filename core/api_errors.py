"""Errors in DRF's shapes, whatever raised them.

Services raise Django's ValidationError; the API answers it as DRF would its own: 400 with
`{"field": ["message"]}` (or `non_field_errors`). A ticket changed by someone else since the
caller read it is a 409; an upload too large a 413.
"""

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import (
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema_serializer,
)
from rest_framework import exceptions, serializers, status
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

from core.errors import StaleObject


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The upload is too large.")
    default_code = "too_large"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("Someone else changed this ticket since you read it.")
    default_code = "conflict"


def validation_detail(error: DjangoValidationError, field_names: dict | None = None) -> dict:
    """A service's ValidationError as DRF's error body; `field_names` renames fields whose
    service names differ from the API's (to_agency -> agency)."""
    field_names = field_names or {}
    if hasattr(error, "error_dict"):
        return {
            field_names.get(field, field)
            if field != "__all__"
            else api_settings.NON_FIELD_ERRORS_KEY: messages
            for field, messages in error.message_dict.items()
        }
    return {api_settings.NON_FIELD_ERRORS_KEY: error.messages}


def api_exception_handler(exc, context):
    if isinstance(exc, StaleObject):
        exc = Conflict(" ".join(exc.messages))
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(validation_detail(exc))
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, SuspiciousOperation):
        # Too many fields or files, and the like: the request is refused, in JSON.
        exc = exceptions.ParseError()
    return exception_handler(exc, context)


# -- The error shapes, as the OpenAPI schema describes them ----------------------------------


# An error is one object, never a page of them, even when a list answers it.
@extend_schema_serializer(many=False)
class ErrorDetailSerializer(serializers.Serializer):
    """One message for the whole request: refused credentials, rights, a missing object..."""

    detail = serializers.CharField()


@extend_schema_serializer(many=False)
class FieldErrorsSerializer(serializers.Serializer):
    """The messages of each field (or header, or query parameter) by its name;
    `non_field_errors` for the request as a whole. A list field's messages are keyed by the
    position of the item at fault."""


class FieldErrorsSchema(OpenApiSerializerExtension):
    target_class = FieldErrorsSerializer

    def map_serializer(self, auto_schema, direction):
        messages = {"type": "array", "items": {"type": "string"}}
        return {
            "type": "object",
            "additionalProperties": {
                "oneOf": [
                    messages,
                    {"type": "object", "additionalProperties": messages},
                ]
            },
        }


def _error(description: str, *shapes) -> OpenApiResponse:
    if len(shapes) == 1:
        body = shapes[0]
    else:
        # A refused body names its fields, a body that cannot be read at all has one detail.
        body = PolymorphicProxySerializer(
            component_name="FieldErrorsOrDetail",
            serializers=list(shapes),
            resource_type_field_name=None,
            many=False,
        )
    return OpenApiResponse(response=body, description=description)


INVALID = _error(
    "The request is refused: each field, header or parameter at fault names its problem.",
    FieldErrorsSerializer,
    ErrorDetailSerializer,
)
UNAUTHENTICATED = _error(
    "No credentials, or a token that is unknown, expired or revoked.", ErrorDetailSerializer
)
FORBIDDEN = _error("The caller may read this but not do this.", ErrorDetailSerializer)
NOT_FOUND = _error(
    "Nothing here that the caller may see (missing and forbidden alike), or a list's `cursor` "
    "that it did not give.",
    ErrorDetailSerializer,
)
NOT_ACCEPTABLE = _error("The API answers in JSON only.", ErrorDetailSerializer)
CONFLICT = _error(
    "Someone else changed the ticket since the caller read it.", ErrorDetailSerializer
)
TOO_LARGE = _error(
    "The request or one of its files is too large.", FieldErrorsSerializer, ErrorDetailSerializer
)
UNSUPPORTED_MEDIA_TYPE = _error(
    "The body is not in a type this operation reads.", ErrorDetailSerializer
)
KEY_REUSED = _error("The `Idempotency-Key` was used with another request.", FieldErrorsSerializer)
THROTTLED = _error(
    "Too many requests: `Retry-After` says when to try again.", ErrorDetailSerializer
)


def error_responses(
    *, reads_body: bool, has_object: bool, versioned: bool, idempotent: bool
) -> dict:
    """The answers an operation may give besides its own, by status code.

    Every operation checks its credentials and their rate, and reads `X-GovDesk-Agency` (400
    for an agency the caller has no role in) and `Accept`. One that names an object in its
    path answers 404 outside the caller's door, as a list does for a cursor it did not give.
    One with a body refuses it whole (400, 413, 415) or in part (400), and the caller's rights
    (403). Changes guarded by a version answer 409, and a reused `Idempotency-Key` 422.
    """
    responses = {
        400: INVALID,
        401: UNAUTHENTICATED,
        406: NOT_ACCEPTABLE,
        429: THROTTLED,
    }
    if has_object:
        responses[404] = NOT_FOUND
    if reads_body:
        responses.update({403: FORBIDDEN, 413: TOO_LARGE, 415: UNSUPPORTED_MEDIA_TYPE})
    if versioned:
        responses[409] = CONFLICT
    if idempotent:
        responses[422] = KEY_REUSED
    return dict(sorted(responses.items()))
