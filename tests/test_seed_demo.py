from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import Membership, User
from agencies.models import Agency, Team
from tickets.models import Category, Ticket, TicketEvent, TicketTransfer


def counts():
    models = (Agency, Team, User, Membership, Category, Ticket, TicketEvent, TicketTransfer)
    return [m.objects.count() for m in models]


def test_it_loads_the_demo_government(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", "--tickets", "0")
    assert set(Agency.objects.values_list("code", flat=True)) == {"MOF", "MOH", "NEC", "NICTA"}
    assert Agency.objects.get(code="NICTA").kind == Agency.Kind.SHARED_SERVICE
    head = User.objects.get(email="head@mof.gov.test")
    assert head.check_password("govdesk-demo")
    assert head.memberships.get().role == "agency_admin"
    assert User.objects.get(email="council@cio.gov.test").memberships.get().agency is None
    assert User.objects.get(email="admin@govdesk.test").is_superuser
    assert not Ticket.objects.exists()


def test_it_loads_a_catalogue_and_routes_every_agency_to_an_intake_team(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", "--tickets", "0")
    email = Category.objects.get(slug="email")
    assert (email.agency, email.handling_agency.code, email.team.name) == (
        None, "NICTA", "E-mail and collaboration",
    )  # fmt: skip
    assert (email.default_impact, email.default_urgency) == ("medium", "high")
    payroll = Category.objects.get(slug="payroll")
    assert (payroll.parent.slug, payroll.team.agency.code, payroll.team.name) == (
        "government-systems", "MOF", "Financial systems",
    )  # fmt: skip
    assert Category.objects.get(slug="computer-and-printer").handling_agency is None
    assert Category.objects.get(slug="moh-health-information-system").agency.code == "MOH"
    for agency in Agency.objects.all():
        assert agency.intake_team.name == "Service desk", agency.code
    assert Team.objects.filter(assignment=Team.Assignment.ROUND_ROBIN).exists()


def test_it_opens_two_hundred_tickets_of_the_last_sixty_days_once(db, settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    tickets = Ticket.objects.all()
    assert tickets.count() == 200
    references = list(tickets.values_list("reference", flat=True))
    assert len(set(references)) == 200
    assert set(tickets.values_list("status", flat=True)) == set(Ticket.Status.values)
    assert set(tickets.values_list("priority", flat=True)) == {"P1", "P2", "P3", "P4"}
    assert tickets.values("agency").distinct().count() == 4
    now = timezone.now()
    created = sorted(tickets.values_list("created_at", flat=True))
    assert created[0] > now - timedelta(days=61)
    assert created[-1] < now
    assert created[-1] - created[0] > timedelta(days=45)  # spread, not bunched on one day
    # History written at the moments it happened: never before the ticket, never later than now.
    assert not TicketEvent.objects.filter(created_at__gt=now).exists()
    for ticket in tickets.filter(status=Ticket.Status.CLOSED)[:20]:
        moments = [e.created_at for e in ticket.events.all()]
        assert moments[0] == ticket.created_at
        assert ticket.created_at <= ticket.first_response_at <= ticket.closed_at <= now
    assert TicketTransfer.objects.filter(from_agency__code="MOF", to_agency__code="NICTA").exists()
    first = counts()
    capsys.readouterr()
    call_command("seed_demo")
    assert counts() == first
    assert "nothing new" in capsys.readouterr().out


def test_it_creates_nothing_new_the_second_time(db, settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo", "--tickets", "3")
    first = counts()
    call_command("seed_demo")
    assert counts() == first
    assert "nothing new" in capsys.readouterr().out


def test_it_refuses_with_debug_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo")
    assert counts() == [0] * 8


def test_it_runs_with_debug_off_when_forced(db, settings):
    settings.DEBUG = False
    call_command("seed_demo", "--force", "--tickets", "0")
    assert Agency.objects.count() == 4
