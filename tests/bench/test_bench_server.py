"""What only the benchmark server has: the query-count header and the ceiling page."""

import pytest
from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory

from bench.middleware import QUERY_COUNT_HEADER, QueryCountMiddleware


@pytest.mark.django_db
@pytest.mark.urls("bench.urls")
def test_it_renders_the_ceiling_table_without_a_query(client, django_assert_num_queries):
    with django_assert_num_queries(0):  # nothing: no session, no user, no database
        response = client.get("/bench/ceiling/")
    assert response.status_code == 200
    assert response.content.count(b"<tr>") == 26  # the header row and 25 rows


@pytest.mark.django_db
def test_it_counts_the_queries_of_a_request_in_a_header(rf: RequestFactory):
    def view(request):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.execute("SELECT 2")
        return HttpResponse("ok")

    response = QueryCountMiddleware(view)(rf.get("/"))
    assert response[QUERY_COUNT_HEADER] == "2"


def test_it_exists_only_in_the_benchmark_settings(client):
    assert "bench.middleware.QueryCountMiddleware" not in settings.MIDDLEWARE
    assert client.get("/bench/ceiling/").status_code == 404
