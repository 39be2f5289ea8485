"""What the API accepts: exactly the types its schema declares, nothing DRF would coerce.

DRF is lenient where the published schema is strict: a JSON number where a string is declared
becomes a string, `"yes"` becomes true, and in a form or a query string an empty value of an
optional field is taken as no value at all. A client that relies on such leniency breaks the
day the schema is read literally, so every input serializer refuses it: JSON values of the
declared type only, `true`/`false` only for booleans, a form or query field given once and, if
given, not empty unless the field may be blank.
"""

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.utils import html


class StrictBooleanField(serializers.BooleanField):
    """A JSON boolean, or `true`/`false` in a form or a query string."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        if isinstance(data, str) and data in ("true", "false"):
            return data == "true"
        self.fail("invalid", input=data)


# The JSON type each kind of field takes; a field of no kind listed takes a string.
JSON_TYPES = (
    (serializers.BooleanField, (bool,)),
    (serializers.IntegerField, (int,)),
    (serializers.ListField, (list,)),
    (serializers.DictField, (dict,)),
)


def _json_type(field) -> tuple:
    for field_class, types in JSON_TYPES:
        if isinstance(field, field_class):
            return types
    return (str,)


class StrictInputSerializer(serializers.Serializer):
    default_error_messages = {
        "repeated": _("Give this only once."),
        "wrong_type": _("Not a valid value of this field's type."),
    }

    def to_internal_value(self, data):
        from_form = html.is_html_input(data)
        if not from_form and not isinstance(data, Mapping):
            return super().to_internal_value(data)  # DRF's "expected a dictionary"
        errors = {}
        for name, field in self.fields.items():
            if field.read_only or name not in data:
                continue
            if from_form:
                problem = self._form_problem(field, data.getlist(name))
            else:
                problem = self._json_problem(field, data[name])
            if problem:
                errors[name] = problem
        if errors:
            raise serializers.ValidationError(errors)
        return super().to_internal_value(data)

    def _form_problem(self, field, values: list) -> list | None:
        if len(values) > 1 and not isinstance(field, serializers.ListField):
            return [self.error_messages["repeated"]]
        if values != [""] or getattr(field, "allow_blank", False) or field.allow_null:
            return None
        # DRF would take the empty value for none: the field's own message refuses it.
        try:
            field.run_validation("")
        except serializers.ValidationError as error:
            return error.detail
        return None

    def _json_problem(self, field, value) -> list | None:
        if value is None:
            return None  # DRF's own "may not be null" unless the field allows it
        types = _json_type(field)
        if isinstance(value, types) and not (bool not in types and isinstance(value, bool)):
            return None
        return [self.error_messages["wrong_type"]]
