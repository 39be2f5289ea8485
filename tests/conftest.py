"""Personas and shared fixtures. Two ministries (MOF, MOH) and one shared-service agency
(NICTA); each persona has a verified e-mail address and the password `PASSWORD`."""

import os
import signal
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import translation

from accounts.models import Role
from tests.factories import (
    PASSWORD,
    AgencyDomainFactory,
    AgencyFactory,
    MembershipFactory,
    TeamFactory,
    UserFactory,
)


def _clear_own_cache_keys() -> None:
    # Not cache.clear(): that flushes the whole Redis database, including the other test
    # worker's keys and the Celery queues that share it.
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def _isolated_cache():
    """Rate-limit counters live in Redis; each test starts with none of its worker's own."""
    _clear_own_cache_keys()
    yield
    _clear_own_cache_keys()


@pytest.fixture(autouse=True)
def _default_language():
    """Signing a French speaker in activates French for the thread (as a request would):
    the next test starts in the default language again, whatever ran before it."""
    yield
    translation.deactivate()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed():` does, at the end of the block, what committing the changes made in
    it sets off: the subscribers to ticket events (notices, e-mail and webhook outbox rows) and
    the tasks they queue. A test's own transaction never commits, so without it nobody hears
    of a change."""
    return partial(django_capture_on_commit_callbacks, execute=True)


@pytest.fixture
def mof(db):
    agency = AgencyFactory(code="MOF", name="Ministry of Finance")
    AgencyDomainFactory(agency=agency, domain="mof.gov.test")
    return agency


@pytest.fixture
def moh(db):
    agency = AgencyFactory(code="MOH", name="Ministry of Health")
    AgencyDomainFactory(agency=agency, domain="moh.gov.test")
    return agency


@pytest.fixture
def nicta(db):
    from agencies.models import Agency

    agency = AgencyFactory(
        code="NICTA", name="National ICT Agency", kind=Agency.Kind.SHARED_SERVICE
    )
    AgencyDomainFactory(agency=agency, domain="nicta.gov.test")
    return agency


@pytest.fixture
def mof_team(mof):
    return TeamFactory(agency=mof, name="Service desk")


def _person(email, agency, role, full_name):
    user = UserFactory(email=email, full_name=full_name)
    MembershipFactory(user=user, agency=agency, role=role)
    return user


@pytest.fixture
def mof_requester(mof):
    return _person("requester@mof.gov.test", mof, Role.REQUESTER, "Musu Kollie")


@pytest.fixture
def mof_agent(mof):
    return _person("agent@mof.gov.test", mof, Role.AGENT, "James Tarpeh")


@pytest.fixture
def mof_head(mof):
    return _person("head@mof.gov.test", mof, Role.AGENCY_ADMIN, "Comfort Doe")


@pytest.fixture
def moh_requester(moh):
    return _person("requester@moh.gov.test", moh, Role.REQUESTER, "Fatu Kamara")


@pytest.fixture
def moh_agent(moh):
    return _person("agent@moh.gov.test", moh, Role.AGENT, "Emmanuel Sirleaf")


@pytest.fixture
def moh_head(moh):
    return _person("head@moh.gov.test", moh, Role.AGENCY_ADMIN, "Aminata Sesay")


@pytest.fixture
def council_member(db):
    return _person("council@cio.gov.test", None, Role.COUNCIL, "Samuel Dennis")


@pytest.fixture
def platform_admin(db):
    user = _person("admin@govdesk.test", None, Role.PLATFORM_ADMIN, "Platform Admin")
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return user


@pytest.fixture
def password():
    return PASSWORD


BASE_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture
def celery_worker_process(transactional_db):
    """A worker of this test's own, on this test's database and queue; stopped by its pid."""
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpdesk.test_settings",
        "DATABASE_URL": (
            f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST']}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        ),
        "TEST_CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--pool", "solo",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"],
        cwd=BASE_DIR, env=env, start_new_session=True,
    )  # fmt: skip
    yield worker
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
