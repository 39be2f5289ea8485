import contextlib
from collections.abc import Iterator

from django.db import connections

QUERY_COUNT_HEADER = "X-Bench-Queries"


@contextlib.contextmanager
def queries_counted() -> Iterator[list[int]]:
    """Counts the SQL statements run inside the block on the default connection: [count]."""
    count = [0]

    def counted(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    with connections["default"].execute_wrapper(counted):
        yield count


class QueryCountMiddleware:
    """Counts the SQL statements a request runs and says how many in a response header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with queries_counted() as count:
            response = self.get_response(request)
        response[QUERY_COUNT_HEADER] = str(count[0])
        return response
