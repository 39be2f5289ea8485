"""Cursor pagination for every API list: stable under inserts, and one query per page."""

from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-pk",)

    def get_ordering(self, request, queryset, view):
        # A view may choose its order per request (the tickets list's `ordering`), already
        # checked against what it allows.
        chosen = getattr(view, "cursor_ordering", None)
        if chosen is not None:
            return chosen(request)
        return getattr(view, "ordering", None) or self.ordering
