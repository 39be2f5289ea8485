from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import Membership, User
from agencies.models import Agency, Team
from core.pending_work import pending_work_drain
from mail.models import Outbox
from notifications.models import Notice
from service_levels.models import BusinessCalendar, EscalationLevel, Holiday, SLAPolicy
from tickets import sla
from tickets.models import Category, Ticket, TicketEvent, TicketTransfer

MODELS = (
    Agency, Team, User, Membership, Category, Ticket, TicketEvent, TicketTransfer,
    BusinessCalendar, Holiday, SLAPolicy, EscalationLevel,
)  # fmt: skip
OFFICE_HOURS = {str(day): [[8 * 60, 17 * 60]] for day in range(5)}


def counts():
    return [m.objects.count() for m in MODELS]


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
    # Every ticket got its clock: the service levels existed before the first ticket.
    assert not tickets.filter(sla_policy=None).exists()
    assert not tickets.filter(resolution_due_at=None).exists()
    p2 = tickets.filter(priority="P2", transfers__isnull=True).select_related("agency").first()
    assert p2.sla_policy.agency is None and p2.sla_policy.priority == "P2"
    # One business hour in the agency's calendar (08:00-17:00 on weekdays, in Monrovia).
    assert p2.response_due_at == sla.clock_for(p2).add(p2.created_at, 3600)
    first = counts()
    capsys.readouterr()
    call_command("seed_demo")
    assert counts() == first
    assert "nothing new" in capsys.readouterr().out


def test_it_tells_people_in_the_app_and_mails_nobody(
    db, settings, django_capture_on_commit_callbacks
):
    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--tickets", "5")
    pending_work_drain()  # what the workers do with the rest: the escalations' batch

    assert Notice.objects.exists()
    assert not Outbox.objects.filter(channel=Outbox.Channel.EMAIL).exists()


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
    assert counts() == [0] * len(MODELS)


def test_it_runs_with_debug_off_when_forced(db, settings):
    settings.DEBUG = False
    call_command("seed_demo", "--force", "--tickets", "0")
    assert Agency.objects.count() == 4


def test_it_gives_the_demo_government_its_calendars_and_service_levels(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", "--tickets", "0")
    national = BusinessCalendar.objects.get(agency=None)
    assert (national.time_zone, national.weekly_hours) == ("Africa/Monrovia", OFFICE_HOURS)
    holidays = {(h.date.month, h.date.day, h.name) for h in national.holidays.all()}
    assert holidays == {
        (1, 1, "New Year's Day"),
        (2, 11, "Armed Forces Day"),
        (3, 15, "Decoration Day"),
        (5, 14, "National Unification Day"),
        (7, 26, "Independence Day"),
        (8, 24, "Flag Day"),
        (11, 29, "President Tubman's Birthday"),
        (12, 25, "Christmas Day"),
    }
    assert all(h.recurs_yearly for h in national.holidays.all())
    for agency in Agency.objects.all():
        calendar = agency.calendar
        assert (calendar.time_zone, calendar.weekly_hours) == ("Africa/Monrovia", OFFICE_HOURS)
        assert not calendar.holidays.exists()  # the national ones are inherited
    policies = {
        p.priority: (p.response_minutes, p.resolution_minutes, p.business_hours)
        for p in SLAPolicy.objects.all()
    }
    assert policies == {
        "P1": (30, 4 * 60, False),
        "P2": (60, 8 * 60, True),
        "P3": (4 * 60, 24 * 60, True),
        "P4": (8 * 60, 45 * 60, True),
    }
    assert not SLAPolicy.objects.filter(agency__isnull=False).exists()
    for policy in SLAPolicy.objects.all():
        levels = {
            (level.clock, level.percent, level.notify, level.marks_breach)
            for level in policy.levels.all()
        }
        assert levels == {
            ("resolution", 75, "assignee_or_team", False),
            ("resolution", 100, "lead_and_admins", True),
            ("response", 100, "team", True),
        }, policy.priority


def test_it_leaves_service_levels_people_changed_alone(db, settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo", "--tickets", "0")
    p2 = SLAPolicy.objects.get(priority="P2")
    p2.levels.filter(percent=75).delete()
    SLAPolicy.objects.filter(pk=p2.pk).update(response_minutes=45)
    Holiday.objects.filter(name="Flag Day").delete()
    first = counts()
    capsys.readouterr()
    call_command("seed_demo", "--tickets", "0")
    p2.refresh_from_db()
    assert (p2.response_minutes, p2.levels.count()) == (45, 2)
    assert not Holiday.objects.filter(name="Flag Day").exists()
    assert counts() == first
    assert "nothing new" in capsys.readouterr().out


def test_it_leaves_each_demo_person_only_the_recent_notices_unread(
    db, settings, django_capture_on_commit_callbacks
):
    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--tickets", "40")
    pending_work_drain()

    notices = Notice.objects.filter(user__email="requester@mof.gov.test")
    unread = notices.filter(read_at=None)
    assert notices.filter(read_at__isnull=False).exists()
    assert unread.count() < 15
    two_days_ago = timezone.now() - timedelta(days=2)
    assert not unread.filter(created_at__lt=two_days_ago).exists()
    read = notices.filter(read_at__isnull=False)
    assert all(
        timedelta(0) < notice.read_at - notice.created_at <= timedelta(minutes=10)
        for notice in read
    )
