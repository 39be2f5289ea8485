"""Mail-in fixtures, shared by the test_inbound* modules.

Loaded with `pytest_plugins = ["tests.notifications.inbound_fixtures"]`; a module that uses
them also marks itself with `pytestmark = pytest.mark.usefixtures("inbound_media")`, so that
files written by a test land in its own folder.
"""

import pytest

from mail import inbound
from mail.models import InboundMailbox
from tests.notifications.inbound_mail import TRUSTED_AUTHSERV_ID, DKIMKeys
from tickets import services as ticket_services
from tickets.models import Category


@pytest.fixture(scope="session")
def _dkim_keys_once():
    # A 2048-bit key takes a moment to make: one per test session is enough.
    return DKIMKeys()


@pytest.fixture
def dkim_keys(_dkim_keys_once, monkeypatch):
    """DNS, as far as DKIM keys go: what a test publishes, and nothing of the outside world."""
    _dkim_keys_once.published.clear()
    _dkim_keys_once.lookups.clear()
    monkeypatch.setattr(inbound, "dkim_key_record", _dkim_keys_once.lookup)
    return _dkim_keys_once


@pytest.fixture
def trusted_mx(settings):
    settings.INBOUND_TRUSTED_AUTHSERV_ID = TRUSTED_AUTHSERV_ID
    return TRUSTED_AUTHSERV_ID


@pytest.fixture
def inbound_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def mof_category(mof):
    return Category.objects.create(name="Payroll", slug="mof-payroll", agency=mof)


@pytest.fixture
def moh_category(moh):
    return Category.objects.create(name="Clinics", slug="moh-clinics", agency=moh)


@pytest.fixture
def public_category(mof):
    """A MOF service open to anyone, members of the public included."""
    return Category.objects.create(name="Tax portal", slug="tax-portal", handling_agency=mof)


@pytest.fixture
def mailbox(mof, mof_category):
    box = InboundMailbox(
        agency=mof,
        address="help@mof.gov.test",
        imap_host="127.0.0.1",
        username="help@mof.gov.test",
    )
    box.password = "mailbox secret"
    box.save()
    return box


@pytest.fixture
def moh_mailbox(moh, moh_category):
    return InboundMailbox.objects.create(
        agency=moh, address="help@moh.gov.test", imap_host="127.0.0.1", username="help"
    )


@pytest.fixture
def mof_ticket(mof_requester, mof, mof_category):
    return ticket_services.ticket_create(
        requester=mof_requester, requester_agency=mof, category=mof_category,
        subject="Payslip missing", description="No payslip this month.",
        impact="low", urgency="low",
    )  # fmt: skip


@pytest.fixture
def moh_ticket(moh_requester, moh, moh_category):
    return ticket_services.ticket_create(
        requester=moh_requester, requester_agency=moh, category=moh_category,
        subject="Clinic laptop", description="The clinic laptop does not start.",
        impact="low", urgency="low",
    )  # fmt: skip
