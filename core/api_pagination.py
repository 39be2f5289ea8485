"""Cursor pagination for every API list: stable under inserts, and one query per page.

Its two parameters are checked like any other: a `page_size` that is not a whole number from 1
up is a 400 naming it (DRF would take the default). A `cursor` is an address within the list:
one this API did not give is a 404 naming it, as a reference to nothing is.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, pagination


class CursorPagination(pagination.CursorPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-pk",)
    invalid_cursor_message = _("This cursor is not one this list gave: start from its first page.")

    def get_ordering(self, request, queryset, view):
        # A view may choose its order per request (the tickets list's `ordering`), already
        # checked against what it allows.
        chosen = getattr(view, "cursor_ordering", None)
        if chosen is not None:
            return chosen(request)
        return getattr(view, "ordering", None) or self.ordering

    def get_page_size(self, request):
        value = _single(request, self.page_size_query_param)
        if value is None:
            return self.page_size
        if not (value.isascii() and value.isdigit()) or int(value) < 1:
            raise exceptions.ValidationError(
                {self.page_size_query_param: [_("Give a whole number from 1 up.")]}
            )
        return min(int(value), self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, DjangoValidationError):
            if getattr(self, "cursor", None) is None:
                raise
            # A cursor that decodes, with a position that is not one of the ordering's values.
            raise self._invalid_cursor() from None

    def _invalid_cursor(self):
        return exceptions.NotFound(self.invalid_cursor_message)

    def decode_cursor(self, request):
        _single(request, self.cursor_query_param)
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise self._invalid_cursor() from None

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["minimum"] = 1
                parameter["description"] = "Results per page: 25 unless given, at most 100."
        return parameters


def _single(request, name: str) -> str | None:
    """The parameter's one value, None when absent; a 400 when it is given more than once."""
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise exceptions.ValidationError({name: [_("Give this only once.")]})
    return values[0] if values else None
