"""What every API view shares: the acting membership, set once authentication is done, and
a schema that tells every answer an operation can give."""

from django.core.validators import RegexValidator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import force_instance
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers, viewsets

from accounts.api_auth import acting_membership
from core.api_errors import error_responses
from core.idempotency import IDEMPOTENCY_HEADER, KEY_MAX_LENGTH

# A string the API keeps: never a NUL (PostgreSQL cannot store one) and, where it may not be
# blank, something besides white space (DRF trims it before checking). A blank string, where
# allowed, is the schema's other choice (drf-spectacular's `oneOf`), so this one is not empty.
NO_NUL = r"^[^\u0000]+$"
NOT_BLANK = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"


class GovDeskAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        # Below @extend_schema(responses=...), which replaces get_response_serializers().
        bodies = super()._get_response_bodies(direction)
        errors = error_responses(
            reads_body=self.method in ("POST", "PUT", "PATCH"),
            # A list's cursor is an address within it, as a path's reference is.
            has_object="{" in self.path or bool(self._get_pagination_parameters()),
            versioned="version" in self._request_fields(),
            idempotent=any(
                isinstance(parameter, OpenApiParameter) and parameter.name == IDEMPOTENCY_HEADER
                for parameter in self.get_override_parameters()
            ),
        )
        for code, response in errors.items():
            if str(code) not in bodies:
                bodies[str(code)] = self._get_response_for_code(
                    response, str(code), None, direction
                )
        return bodies

    def _request_fields(self):
        if self.method not in ("POST", "PUT", "PATCH"):
            return {}
        return getattr(force_instance(self.get_request_serializer()), "fields", {})

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if (
            direction == "request"
            and isinstance(field, serializers.CharField)
            and schema.get("type") == "string"
            and not any(isinstance(v, RegexValidator) for v in field.validators)
        ):
            schema["pattern"] = NO_NUL if field.allow_blank else NOT_BLANK
        return schema

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        for parameter in (operation or {}).get("parameters", []):
            if parameter["in"] == "header" and parameter["name"] == IDEMPOTENCY_HEADER:
                parameter["schema"]["maxLength"] = KEY_MAX_LENGTH
        return operation


class GovDeskViewSetMixin:
    schema = GovDeskAutoSchema()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        membership = acting_membership(request)
        # The web's selectors and views read request.membership: set it on both requests.
        request.membership = request._request.membership = membership


class GovDeskViewSet(GovDeskViewSetMixin, viewsets.GenericViewSet):
    pass
