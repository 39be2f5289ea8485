"""Loads the demo government: four agencies, their teams, and one person for each role.

Idempotent: a second run finds everything in place and creates nothing.
"""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Membership, Role, User
from agencies.models import Agency, AgencyDomain, Team

DEMO_PASSWORD = "govdesk-demo"  # noqa: S105 - published in README.md, refused with DEBUG off
DEMO_TIME_ZONE = "Africa/Monrovia"

AGENCIES = [
    # code, name, kind, e-mail domain, teams
    ("MOF", "Ministry of Finance", Agency.Kind.MINISTRY, "mof.gov.test",
     ["Service desk", "Financial systems"]),
    ("MOH", "Ministry of Health", Agency.Kind.MINISTRY, "moh.gov.test", ["Service desk"]),
    ("NEC", "National Elections Commission", Agency.Kind.COMMISSION, "nec.gov.test",
     ["Service desk"]),
    ("NICTA", "National ICT Agency", Agency.Kind.SHARED_SERVICE, "nicta.gov.test",
     ["E-mail and collaboration", "Network"]),
]  # fmt: skip

PEOPLE = [
    # e-mail, full name, agency code or None, role, team
    ("requester@mof.gov.test", "Musu Kollie", "MOF", Role.REQUESTER, None),
    ("agent@mof.gov.test", "James Tarpeh", "MOF", Role.AGENT, "Service desk"),
    ("head@mof.gov.test", "Comfort Doe", "MOF", Role.AGENCY_ADMIN, "Service desk"),
    ("requester@moh.gov.test", "Fatu Kamara", "MOH", Role.REQUESTER, None),
    ("agent@moh.gov.test", "Emmanuel Sirleaf", "MOH", Role.AGENT, "Service desk"),
    ("requester@nec.gov.test", "Yassah Flomo", "NEC", Role.REQUESTER, None),
    ("agent@nec.gov.test", "Joseph Kpoto", "NEC", Role.AGENT, "Service desk"),
    ("agent@nicta.gov.test", "Grace Weah", "NICTA", Role.AGENT, "E-mail and collaboration"),
    ("council@cio.gov.test", "Samuel Dennis", None, Role.COUNCIL, None),
    ("admin@govdesk.test", "Platform Administrator", None, Role.PLATFORM_ADMIN, None),
]


class Command(BaseCommand):
    help = "Loads the demo government (agencies, teams, one person per role). Safe to rerun."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load demo people with a published password even with DEBUG off.",
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates people with a published password; with DEBUG off it runs "
                "only with --force."
            )
        created = self._seed()
        if created:
            self.stdout.write(self.style.SUCCESS(f"Demo government loaded: {created} new rows."))
        else:
            self.stdout.write("Demo government already loaded: nothing new.")

    @transaction.atomic
    def _seed(self) -> int:
        created = 0
        agencies, teams = {}, {}
        for code, name, kind, domain, team_names in AGENCIES:
            agency, new = Agency.objects.get_or_create(
                code=code, defaults={"name": name, "kind": kind, "time_zone": DEMO_TIME_ZONE}
            )
            created += new
            agencies[code] = agency
            _, new = AgencyDomain.objects.get_or_create(agency=agency, domain=domain)
            created += new
            for team_name in team_names:
                teams[code, team_name], new = Team.objects.get_or_create(
                    agency=agency, name=team_name
                )
                created += new
        for email, full_name, code, role, team_name in PEOPLE:
            user = User.objects.filter(email=email).first()
            if user is None:
                platform_admin = role == Role.PLATFORM_ADMIN
                user = User.objects.create_user(
                    email=email,
                    password=DEMO_PASSWORD,
                    full_name=full_name,
                    is_staff=platform_admin,
                    is_superuser=platform_admin,
                )
                created += 1
            _, new = EmailAddress.objects.get_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
            created += new
            agency = agencies[code] if code else None
            _, new = Membership.objects.get_or_create(
                user=user, agency=agency, defaults={"role": role}
            )
            created += new
            if team_name and not user.teams.filter(pk=teams[code, team_name].pk).exists():
                teams[code, team_name].members.add(user)
                created += 1
        return created
