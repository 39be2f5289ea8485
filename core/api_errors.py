"""Errors in DRF's shapes, whatever raised them.

Services raise Django's ValidationError; the API answers it as DRF would its own: 400 with
`{"field": ["message"]}` (or `non_field_errors`). A ticket changed by someone else since the
caller read it is a 409; an upload too large a 413.
"""

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
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
