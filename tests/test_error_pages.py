import pytest
from django.test import Client
from django.urls import path

from helpdesk.urls import urlpatterns as project_urlpatterns


def broken_view(request):
    raise RuntimeError("boom")


urlpatterns = [*project_urlpatterns, path("broken/", broken_view)]


def test_it_shows_the_house_404_page(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page
    assert 'class="skip-link"' in page


@pytest.mark.urls("tests.test_error_pages")
def test_it_shows_the_house_500_page_without_a_stack_trace(db):
    client = Client(raise_request_exception=False)
    response = client.get("/broken/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Sorry, there is a problem with GovDesk" in page
    assert "boom" not in page
    assert "Traceback" not in page


def test_it_shows_the_house_403_page(client, mof_requester):
    client.force_login(mof_requester)
    response = client.get("/agencies/")
    assert response.status_code == 403
    assert "You cannot do this" in response.content.decode()


def test_it_refuses_a_get_on_a_post_only_page_without_a_500(client, mof_requester):
    client.force_login(mof_requester)
    assert client.get("/profile/acting-as/").status_code == 405
    assert client.get("/language/").status_code == 405
