import pytest
from django.core.management import CommandError, call_command

from accounts.models import Membership, User
from agencies.models import Agency, Team


def counts():
    return [m.objects.count() for m in (Agency, Team, User, Membership)]


def test_it_loads_the_demo_government(db, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    assert set(Agency.objects.values_list("code", flat=True)) == {"MOF", "MOH", "NEC", "NICTA"}
    assert Agency.objects.get(code="NICTA").kind == Agency.Kind.SHARED_SERVICE
    head = User.objects.get(email="head@mof.gov.test")
    assert head.check_password("govdesk-demo")
    assert head.memberships.get().role == "agency_admin"
    assert User.objects.get(email="council@cio.gov.test").memberships.get().agency is None
    assert User.objects.get(email="admin@govdesk.test").is_superuser


def test_it_creates_nothing_new_the_second_time(db, settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    first = counts()
    call_command("seed_demo")
    assert counts() == first
    assert "nothing new" in capsys.readouterr().out


def test_it_refuses_with_debug_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo")
    assert counts() == [0, 0, 0, 0]


def test_it_runs_with_debug_off_when_forced(db, settings):
    settings.DEBUG = False
    call_command("seed_demo", "--force")
    assert Agency.objects.count() == 4
