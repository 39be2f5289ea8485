"""API fixtures: tokens for the personas, a client that sends one, and a small catalogue."""

import pytest
from rest_framework.test import APIClient

from accounts.token_services import api_token_create

# The tickets tests' catalogue: `name as name` tells the linter pytest uses them.
from tests.tickets.conftest import email_category as email_category
from tests.tickets.conftest import mof_service_desk as mof_service_desk
from tests.tickets.conftest import nicta_email_team as nicta_email_team
from tests.tickets.conftest import open_ticket as open_ticket
from tests.tickets.conftest import payroll_category as payroll_category
from tests.tickets.conftest import printer_category as printer_category


@pytest.fixture
def token_for(db):
    """The key of a new token of `user`."""

    def token_for(user, **fields):
        _token, key = api_token_create(user=user, name=fields.pop("name", "Tests"), **fields)
        return key

    return token_for


@pytest.fixture
def api(token_for):
    """An API client sending a new token of `user` (or no credentials for None)."""

    def api(user=None):
        client = APIClient()
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
        return client

    return api


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def mof_ticket(mof_service_desk, printer_category, mof_requester, mof_agent, open_ticket):
    """A MOF ticket of the MOF requester, with the MOF agent on MOF's service desk."""
    mof_service_desk.members.add(mof_agent)
    return open_ticket(mof_requester, printer_category, subject="Printer offline")
