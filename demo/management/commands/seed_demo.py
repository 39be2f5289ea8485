"""Loads the demo government: four agencies, their teams, one person for each role, a service
catalogue, and about two hundred tickets of the last sixty days.

Idempotent: a second run finds everything in place and creates nothing. Tickets are opened
and worked through tickets.services, at past moments (time-machine), so their references,
history, first responses and resolutions are what the application itself would have written.
"""

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import AGENCY_STAFF_ROLES, Membership, Role, User
from agencies.models import Agency, AgencyDomain, Team
from service_levels.models import BusinessCalendar, EscalationLevel, Holiday, SLAPolicy
from tickets.escalation import escalation_sweep
from tickets.events import Quiet

# Demo people get in-app notices of the demo history, but no e-mail.
QUIET = Quiet.EMAIL

DEMO_PASSWORD = "govdesk-demo"  # noqa: S105 - published in README.md, refused with DEBUG off
DEMO_TIME_ZONE = "Africa/Monrovia"
DEMO_TICKETS = 200
DEMO_DAYS = 60
# Demo notices older than this are seeded as read, this long after they arrived.
NOTICES_UNREAD_FOR = timedelta(days=2)
NOTICE_READ_AFTER = timedelta(minutes=10)
# The same tickets, subjects, statuses and times (relative to now) on every machine.
DEMO_RANDOM_SEED = 2025

AGENCIES = [
    # code, name, kind, e-mail domain, teams (the first is the intake team)
    ("MOF", "Ministry of Finance", Agency.Kind.MINISTRY, "mof.gov.test",
     ["Service desk", "Financial systems"]),
    ("MOH", "Ministry of Health", Agency.Kind.MINISTRY, "moh.gov.test", ["Service desk"]),
    ("NEC", "National Elections Commission", Agency.Kind.COMMISSION, "nec.gov.test",
     ["Service desk"]),
    ("NICTA", "National ICT Agency", Agency.Kind.SHARED_SERVICE, "nicta.gov.test",
     ["Service desk", "E-mail and collaboration", "Network"]),
]  # fmt: skip
ROUND_ROBIN_TEAMS = [("MOF", "Service desk")]

# Monday to Friday, 08:00 to 17:00 (minutes of the day), for the nation and every agency.
DEMO_WEEKLY_HOURS = {str(day): [[8 * 60, 17 * 60]] for day in range(5)}
# Liberia's public holidays, every year. The year of a yearly holiday's date is not used.
NATIONAL_HOLIDAYS = [
    (1, 1, "New Year's Day"),
    (2, 11, "Armed Forces Day"),
    (3, 15, "Decoration Day"),
    (5, 14, "National Unification Day"),
    (7, 26, "Independence Day"),
    (8, 24, "Flag Day"),
    (11, 29, "President Tubman's Birthday"),
    (12, 25, "Christmas Day"),
]
HOLIDAY_YEAR = 2025
DEFAULT_ESCALATION = [
    # clock, percent, notify, marks breach
    (EscalationLevel.Clock.RESOLUTION, 75, EscalationLevel.Notify.ASSIGNEE_OR_TEAM, False),
    (EscalationLevel.Clock.RESOLUTION, 100, EscalationLevel.Notify.TEAM_LEAD_AND_ADMINS, True),
    (EscalationLevel.Clock.RESPONSE, 100, EscalationLevel.Notify.TEAM, True),
]
DEFAULT_POLICIES = [
    # priority, first response (minutes), resolution (minutes), counted in business hours
    ("P1", 30, 4 * 60, False),
    ("P2", 60, 8 * 60, True),
    ("P3", 4 * 60, 24 * 60, True),
    ("P4", 8 * 60, 45 * 60, True),
]

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
    # More people, so that queues show several names.
    ("finance.officer@mof.gov.test", "Hawa Johnson", "MOF", Role.REQUESTER, None),
    ("systems@mof.gov.test", "Alice Nyema", "MOF", Role.AGENT, "Financial systems"),
    ("nurse@moh.gov.test", "Korpo Togba", "MOH", Role.REQUESTER, None),
    ("clerk@nec.gov.test", "Mamie Kpadeh", "NEC", Role.REQUESTER, None),
    ("requester@nicta.gov.test", "Ellen Saah", "NICTA", Role.REQUESTER, None),
    ("servicedesk@nicta.gov.test", "Martha Cooper", "NICTA", Role.AGENT, "Service desk"),
    ("network@nicta.gov.test", "Prince Gbollie", "NICTA", Role.AGENT, "Network"),
]

CATALOGUE = [
    # slug, name, description, parent slug, belongs to agency, handled by, team, impact, urgency
    ("email", "E-mail", "Government e-mail, calendars and shared mailboxes.",
     None, None, "NICTA", "E-mail and collaboration", "medium", "high"),
    ("network-and-internet", "Network and internet",
     "The government network, internet access, Wi-Fi and VPN.",
     None, None, "NICTA", "Network", "medium", "medium"),
    ("computer-and-printer", "Computer and printer",
     "Desktop and laptop computers, printers, scanners and their software.",
     None, None, None, None, "low", "medium"),
    ("accounts-and-passwords", "Accounts and passwords",
     "Signing in, locked accounts, new staff accounts and password resets.",
     None, None, None, None, "low", "high"),
    ("government-systems", "Government systems", "The shared systems every agency uses.",
     None, None, None, None, "medium", "medium"),
    ("payroll", "Payroll", "Civil service payroll: salaries, deductions and pay slips.",
     "government-systems", None, "MOF", "Financial systems", "medium", "high"),
    ("financial-management", "Financial management",
     "The integrated financial management information system (IFMIS): budgets, "
     "commitments and payments.",
     "government-systems", None, "MOF", "Financial systems", "medium", "medium"),
    ("moh-health-information-system", "Health information system",
     "The Ministry of Health's health information system (DHIS2) and its reports.",
     None, "MOH", None, None, "medium", "medium"),
    ("nec-voter-registration", "Voter registration system",
     "The Commission's voter registration system and its enrolment kits.",
     None, "NEC", None, None, "high", "medium"),
]  # fmt: skip

# What people write, by category: (subject, description).
PROBLEMS = {
    "email": [
        ("Cannot send e-mail to outside addresses",
         "Messages to addresses outside government come back with 'relay denied'."),
        ("Mailbox full", "Outlook says my mailbox is full and I cannot receive new messages."),
        ("Shared mailbox missing", "The department's shared mailbox disappeared from Outlook."),
        ("E-mail not arriving on phone", "Since yesterday my phone does not receive e-mail."),
        ("Calendar invitations not received",
         "Colleagues say they invited me to meetings but nothing reaches my calendar."),
    ],
    "network-and-internet": [
        ("No internet on the second floor", "Nobody on the second floor can open any website."),
        ("Wi-Fi keeps disconnecting", "The office Wi-Fi drops every few minutes."),
        ("VPN will not connect", "The VPN says 'authentication failed' when I work from home."),
        ("Very slow network", "Opening shared folders takes minutes since Monday."),
    ],
    "computer-and-printer": [
        ("Printer offline", "The printer near the registry shows 'offline' on every computer."),
        ("Laptop will not start", "My laptop shows a black screen after the logo."),
        ("Toner empty", "The printer in the accounts office is out of toner."),
        ("Need Microsoft Office installed", "The new computer has no Word or Excel."),
        ("Computer very slow", "My computer takes ten minutes to start and freezes often."),
        ("Scanner not detected", "The scanner is not found when I try to scan documents."),
    ],
    "accounts-and-passwords": [
        ("Account locked", "My account is locked after I mistyped my password."),
        ("Password expired", "I cannot sign in: the computer says my password has expired."),
        ("New staff member needs an account",
         "A new officer starts on Monday and needs a computer account and e-mail."),
        ("Cannot access the shared drive", "I get 'access denied' on the department's drive."),
    ],
    "government-systems": [
        ("Which system do I use for travel requests?",
         "I need to submit a travel request and do not know which system handles it."),
    ],
    "payroll": [
        ("Salary not received", "My salary for this month has not reached my bank account."),
        ("Wrong deduction on pay slip", "My pay slip shows a loan deduction I do not have."),
        ("Cannot download pay slip", "The payroll portal gives an error when I open my pay slip."),
        ("New employee missing from payroll", "An officer hired last month is not on payroll."),
    ],
    "financial-management": [
        ("Cannot approve a commitment", "IFMIS says I have no right to approve commitments."),
        ("Payment voucher stuck", "A payment voucher has been 'pending' for two weeks."),
        ("Budget report shows wrong figures",
         "The quarterly budget report totals do not match the allotments."),
    ],
    "moh-health-information-system": [
        ("Monthly report will not submit", "The county's monthly report fails to submit."),
        ("DHIS2 login not working", "I cannot sign in to the health information system."),
        ("Facility missing from the list", "A new clinic is not in the list of facilities."),
    ],
    "nec-voter-registration": [
        ("Enrolment kit will not sync", "The registration kit in the field office fails to sync."),
        ("Fingerprint reader not working", "The fingerprint reader on kit 14 is not detected."),
        ("Duplicate voter records", "The system shows two records for the same voter."),
    ],
}  # fmt: skip
# Mailbox problems reported as computer problems at MOF, which sends them on to NICTA.
MISFILED_MAIL_PROBLEMS = [
    ("Outlook asks for my password all the time",
     "Outlook keeps asking for my password and does not accept it."),
    ("E-mails stuck in the outbox", "My messages stay in the outbox and are never sent."),
    ("Cannot open attachments from other ministries",
     "Attachments sent from other ministries are blocked."),
]  # fmt: skip
TRANSFER_REASON = "A mailbox problem: NICTA runs government e-mail."
TRANSFERS = 6

FIRST_REPLIES = [
    "Thank you for reporting this. We are looking into it.",
    "We have received your request and an officer is on it.",
    "Thanks, we are checking this now and will update you shortly.",
]
QUESTIONS = [
    "Could you tell us the asset tag on the computer (the sticker under it)?",
    "Could you send a screenshot of the error message?",
    "Which office and floor are you in, and when are you there?",
    "Does the problem happen for your colleagues too, or only for you?",
]
ANSWERS = [
    "Here it is, thank you.",
    "It happens for everyone in our office.",
    "I am in room 204 on the second floor, every day from 8 to 4.",
    "Only for me. My colleagues are fine.",
]
HOLD_NOTES = [
    "Waiting for the vendor to deliver the replacement part.",
    "Waiting for the change window this weekend.",
    "Waiting for the budget officer's approval.",
]
RESOLUTIONS = [
    "This is fixed now. Please let us know if it happens again.",
    "We have made the change; it should work now.",
    "Resolved: we replaced the faulty part.",
    "Done. You may need to restart your computer once.",
]
STILL_BROKEN = "It is still not working for me, sorry."

# Target status by the ticket's age: the old ones are mostly closed, the new ones mostly not.
STATUS_WEIGHTS = [
    # (younger than, {status: weight})
    (timedelta(days=1),
     {"new": 40, "open": 30, "pending": 12, "on_hold": 6, "resolved": 12, "closed": 0}),
    (timedelta(days=7),
     {"new": 8, "open": 25, "pending": 15, "on_hold": 10, "resolved": 27, "closed": 15}),
    (timedelta(days=DEMO_DAYS + 1),
     {"new": 2, "open": 8, "pending": 5, "on_hold": 5, "resolved": 10, "closed": 70}),
]  # fmt: skip
CATEGORY_WEIGHTS = {
    "email": 20,
    "network-and-internet": 14,
    "computer-and-printer": 24,
    "accounts-and-passwords": 18,
    "government-systems": 1,
    "payroll": 8,
    "financial-management": 5,
}
# How often staff of an agency with a system of its own report a problem with that system.
OWN_SYSTEM_SHARE = 0.2
STATUSES = ("new", "open", "pending", "on_hold", "resolved", "closed")
CHANNEL_WEIGHTS = {"web": 60, "email": 25, "phone": 12, "api": 3}


@dataclass
class TicketPlan:
    created_at: datetime
    requester: User
    agency: Agency
    category_slug: str
    subject: str
    description: str
    impact: str
    urgency: str
    channel: str
    status: str
    transfer: bool = False
    steps: list[timedelta] = field(default_factory=list)


class Command(BaseCommand):
    help = (
        "Loads the demo government (agencies, teams, one person per role, a service catalogue "
        "and demo tickets). Safe to rerun."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load demo people with a published password even with DEBUG off.",
        )
        parser.add_argument(
            "--tickets",
            type=int,
            default=DEMO_TICKETS,
            help=f"How many demo tickets to open (default {DEMO_TICKETS}; 0 for none). Needs "
            "time-machine, a development dependency.",
        )

    def handle(self, *args, force: bool = False, tickets: int = DEMO_TICKETS, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates people with a published password; with DEBUG off it runs "
                "only with --force."
            )
        if tickets < 0:
            raise CommandError("--tickets must be 0 or more.")
        travel = _time_travel() if tickets and not _demo_tickets_exist() else None
        created = self._seed(tickets if travel else 0, travel)
        if created:
            self.stdout.write(self.style.SUCCESS(f"Demo government loaded: {created} new rows."))
        else:
            self.stdout.write("Demo government already loaded: nothing new.")

    @transaction.atomic
    def _seed(self, tickets: int, travel) -> int:
        created, agencies, teams = _seed_government()
        # Before any ticket: ticket_create starts the SLA clock from these.
        created += _seed_service_levels(agencies)
        created += _seed_catalogue(agencies, teams)
        created += _seed_gov_services()
        created += _seed_help_articles(agencies)
        if tickets:
            created += _seed_tickets(tickets, agencies, travel)
            # The demo history is weeks old: apply its escalations now, as notices only,
            # rather than mail them all at the first sweep of `make run`.
            escalation_sweep(quiet=QUIET)
            # After the subscribers' own callbacks, which write the notices of the history.
            transaction.on_commit(_notices_of_the_history)
        return created


def _notices_of_the_history() -> None:
    """The notices of the demo's history, written here rather than left to a worker: a
    ticket's creation and the sweep's batch hand their subscribers to one, which may not run
    yet; then the old ones marked read."""
    from core.pending_work import pending_work_drain

    pending_work_drain()
    _read_old_demo_notices()


def _read_old_demo_notices() -> int:
    """Marks the demo people's notices older than a couple of days read, a few minutes after
    each arrived, as if they had kept up: each starts with the few recent ones unread, not
    weeks of history."""
    from notifications.models import Notice

    return Notice.objects.filter(
        user__email__in=[p[0] for p in PEOPLE],
        read_at__isnull=True,
        created_at__lt=timezone.now() - NOTICES_UNREAD_FOR,
    ).update(read_at=F("created_at") + NOTICE_READ_AFTER)


def _time_travel():
    try:
        import time_machine
    except ImportError:
        raise CommandError(
            "Demo tickets are opened at past moments with time-machine, a development "
            "dependency: install requirements-dev.lock, or run seed_demo --tickets 0."
        ) from None
    return time_machine.travel


def _demo_tickets_exist() -> bool:
    from tickets.models import Ticket

    return Ticket.objects.filter(requester__email__in=[p[0] for p in PEOPLE]).exists()


def _seed_government() -> tuple[int, dict[str, Agency], dict[tuple[str, str], Team]]:
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
            teams[code, team_name], new = Team.objects.get_or_create(agency=agency, name=team_name)
            created += new
    password_hash = None  # one slow hash for every demo person, made only if someone is new
    for email, full_name, code, role, team_name in PEOPLE:
        user = User.objects.filter(email=email).first()
        if user is None:
            password_hash = password_hash or make_password(DEMO_PASSWORD)
            platform_admin = role == Role.PLATFORM_ADMIN
            user = User.objects.create_user(
                email=email,
                full_name=full_name,
                is_staff=platform_admin,
                is_superuser=platform_admin,
            )
            user.password = password_hash
            user.save(update_fields=["password"])
            created += 1
        _, new = EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        created += new
        agency = agencies[code] if code else None
        _, new = Membership.objects.get_or_create(user=user, agency=agency, defaults={"role": role})
        created += new
        if team_name and not user.teams.filter(pk=teams[code, team_name].pk).exists():
            teams[code, team_name].members.add(user)
            created += 1
    return created, agencies, teams


def _seed_service_levels(agencies: dict[str, Agency]) -> int:
    """The national calendar and its holidays, each demo agency's calendar, and the
    government's default service levels with their escalation levels. Each is made once,
    with what belongs to it (holidays, levels); later runs leave what people changed alone."""
    created = 0
    calendar_defaults = {"time_zone": DEMO_TIME_ZONE, "weekly_hours": DEMO_WEEKLY_HOURS}
    national, new = BusinessCalendar.objects.get_or_create(agency=None, defaults=calendar_defaults)
    created += new
    if new:
        Holiday.objects.bulk_create(
            Holiday(
                calendar=national,
                date=date(HOLIDAY_YEAR, month, day),
                name=name,
                recurs_yearly=True,
            )
            for month, day, name in NATIONAL_HOLIDAYS
        )
        created += len(NATIONAL_HOLIDAYS)
    for agency in agencies.values():
        _, new = BusinessCalendar.objects.get_or_create(agency=agency, defaults=calendar_defaults)
        created += new
    for priority, response, resolution, business_hours in DEFAULT_POLICIES:
        policy, new = SLAPolicy.objects.get_or_create(
            agency=None,
            priority=priority,
            defaults={
                "response_minutes": response,
                "resolution_minutes": resolution,
                "business_hours": business_hours,
            },
        )
        created += new
        if new:
            EscalationLevel.objects.bulk_create(
                EscalationLevel(
                    policy=policy, clock=clock, percent=percent, notify=notify, marks_breach=breach
                )
                for clock, percent, notify, breach in DEFAULT_ESCALATION
            )
            created += len(DEFAULT_ESCALATION)
    return created


def _seed_catalogue(agencies: dict[str, Agency], teams: dict[tuple[str, str], Team]) -> int:
    """The catalogue, and the routing that goes with it, set up once: the first time the
    catalogue is created. Later runs leave what people changed since alone."""
    from tickets.models import Category

    created = 0
    categories = {}
    for slug, name, description, parent, owner, handler, team, impact, urgency in CATALOGUE:
        categories[slug], new = Category.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "description": description,
                "parent": categories[parent] if parent else None,
                "agency": agencies[owner] if owner else None,
                "handling_agency": agencies[handler] if handler else None,
                "team": teams[handler, team] if team else None,
                "default_impact": impact,
                "default_urgency": urgency,
            },
        )
        created += new
    if created:
        for code, _name, _kind, _domain, team_names in AGENCIES:
            agency = agencies[code]
            if agency.intake_team_id is None:
                agency.intake_team = teams[code, team_names[0]]
                agency.save(update_fields=["intake_team"])
        for key in ROUND_ROBIN_TEAMS:
            Team.objects.filter(pk=teams[key].pk).update(assignment=Team.Assignment.ROUND_ROBIN)
    return created


# The services of the public status page (/status/), with the categories they cover.
GOV_SERVICES = [
    ("Government e-mail", "E-mail and calendars of every ministry and agency.", ["email"]),
    ("Government network", "The network and internet access of government offices.",
     ["network-and-internet"]),
]  # fmt: skip


def _seed_gov_services() -> int:
    from incidents.models import GovService
    from tickets.models import Category

    created = 0
    for name, description, slugs in GOV_SERVICES:
        service, new = GovService.objects.get_or_create(
            name=name, defaults={"description": description}
        )
        if new:
            service.categories.set(Category.objects.filter(slug__in=slugs))
        created += new
    return created


# Help articles in English and French: (slug, owner, audience, category, English, French),
# each language as (title, summary, body).
HELP_ARTICLES = [
    ("reset-your-password", "NICTA", "public", None,
     ("Reset your government password", "Locked out, or your password expired.",
      "1. Open the sign-in page of your government account.\n2. Choose **Forgot password**.\n"
      "3. Follow the link sent to your recovery address or phone.\n\nStill locked out after "
      "three tries? Report a problem and choose *Government e-mail*."),
     ("Réinitialiser votre mot de passe du gouvernement",
      "Compte bloqué, ou mot de passe expiré.",
      "1. Ouvrez la page de connexion de votre compte du gouvernement.\n"
      "2. Choisissez **Mot de passe oublié**.\n3. Suivez le lien envoyé à votre adresse ou à "
      "votre téléphone de secours.\n\nToujours bloqué après trois essais ? Signalez un "
      "problème et choisissez *Messagerie du gouvernement*.")),
    ("mailbox-full", "NICTA", "civil_servants", "email",
     ("Your mailbox is full", "Messages bounce with “quota exceeded”.",
      "- Empty **Deleted items** and **Junk**.\n- Save large attachments to the shared drive, "
      "then delete the messages.\n\nEvery mailbox holds 10 GB."),
     ("Votre boîte aux lettres est pleine", "Les messages reviennent avec « quota dépassé ».",
      "- Videz les **Éléments supprimés** et le **Courrier indésirable**.\n- Enregistrez les "
      "grosses pièces jointes sur le lecteur partagé, puis supprimez les messages.\n\n"
      "Chaque boîte contient 10 Go.")),
    ("printer-paper-jam", "MOF", "agency", None,
     ("Printer shows “paper jam” with no paper in it", "The second-floor printers of MOF.",
      "1. Switch the printer off.\n2. Open tray 2 and close it firmly.\n3. Switch it on.\n\n"
      "If it comes back, the fuser needs a technician: report a problem."),
     ("L'imprimante affiche « bourrage papier » sans papier coincé",
      "Les imprimantes du deuxième étage du MOF.",
      "1. Éteignez l'imprimante.\n2. Ouvrez le bac 2 et refermez-le bien.\n3. Rallumez-la."
      "\n\nSi cela revient, l'unité de fusion demande un technicien : signalez un problème.")),
    ("vpn-keeps-dropping", "NICTA", "agents", None,
     ("VPN keeps dropping: what to check for a caller", "For service desk agents.",
      "Ask for the client version (Help › About). Below 5.2, reinstall from the software "
      "portal. Check the caller's clock: a skew over five minutes breaks the tunnel."),
     ("Le VPN se coupe : que vérifier pour un appelant", "Pour les agents du service d'assistance.",
      "Demandez la version du client (Aide › À propos). En dessous de 5.2, réinstallez depuis "
      "le portail logiciel. Vérifiez l'horloge de l'appelant : un décalage de plus de cinq "
      "minutes coupe le tunnel.")),
]  # fmt: skip


def _seed_help_articles(agencies: dict[str, Agency]) -> int:
    """A few published articles, once each, written and published as the platform admin."""
    from accounts.models import Membership
    from knowledge.models import Article
    from knowledge.services import article_create, article_edit, article_set_status
    from tickets.models import Category

    admin = Membership.objects.filter(role=Role.PLATFORM_ADMIN).select_related("user").first()
    if admin is None:
        return 0
    created = 0
    for slug, owner, audience, category, english, french in HELP_ARTICLES:
        if Article.objects.filter(slug=slug).exists():
            continue
        article = article_create(
            actor=admin.user, membership=admin, owner_agency=agencies[owner], language="en",
            title=english[0], summary=english[1], body=english[2], audience=audience, slug=slug,
            category=Category.objects.filter(slug=category).first() if category else None,
        )  # fmt: skip
        article_edit(
            article=article, actor=admin.user, membership=admin, language="fr",
            title=french[0], summary=french[1], body=french[2],
        )  # fmt: skip
        article_set_status(article=article, actor=admin.user, membership=admin, status="published")
        created += 1
    return created


# -- Demo tickets -----------------------------------------------------------------------------


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _created_at(rng: random.Random, now: datetime) -> datetime:
    """A moment of the last DEMO_DAYS days, mostly in office hours on weekdays.

    Always the same number of draws, whatever day today is, so that the run after the one
    today draws the same tickets.
    """
    day = now - timedelta(days=rng.randrange(DEMO_DAYS))
    hour = rng.choice([8, 8, 9, 9, 9, 10, 10, 11, 11, 12, 13, 14, 14, 15, 15, 16, 17, 19])
    minute, second, weekend_work = rng.randrange(60), rng.randrange(60), rng.random() < 0.1
    minutes_ago = rng.randrange(30, 600)
    if day.weekday() >= 5 and not weekend_work:
        day += timedelta(days=7 - day.weekday())  # on to the Monday after
    moment = day.replace(hour=hour, minute=minute, second=second, microsecond=0)
    if moment > now - timedelta(minutes=30):
        moment = now - timedelta(minutes=minutes_ago)
    return moment


def _show_everything(plans: list[TicketPlan]) -> None:
    """Whatever the dice said, the demo shows every status and a few critical tickets."""
    for plan in plans[::50]:
        plan.impact = plan.urgency = "high"
    by_age = sorted(plans, key=lambda p: p.created_at, reverse=True)
    for status in STATUSES:
        if any(p.status == status for p in plans):
            continue
        # The youngest ticket for a status that comes early in a ticket's life, else the oldest.
        order = by_age if status in ("new", "open", "pending", "on_hold") else by_age[::-1]
        common = max(STATUSES, key=lambda s: sum(p.status == s for p in plans))
        next(p for p in order if p.status == common).status = status


def _plans(rng: random.Random, count: int, now: datetime, agencies, requesters) -> list:
    plans = []
    for _ in range(count):
        requester, agency = rng.choice(requesters)
        own_systems = [c[0] for c in CATALOGUE if c[4] == agency.code]
        if own_systems and rng.random() < OWN_SYSTEM_SHARE:
            slug = rng.choice(own_systems)
        else:
            slug = _pick(rng, CATEGORY_WEIGHTS)
        category = next(c for c in CATALOGUE if c[0] == slug)
        subject, description = rng.choice(PROBLEMS[slug])
        impact, urgency = category[7], category[8]
        if rng.random() < 0.3:
            impact, urgency = rng.choice(["high", "medium", "low"]), rng.choice(["high", "medium"])
        created_at = _created_at(rng, now)
        age = now - created_at
        weights = next(w for limit, w in STATUS_WEIGHTS if age < limit)
        plans.append(
            TicketPlan(
                created_at=created_at,
                requester=requester,
                agency=agency,
                category_slug=slug,
                subject=subject,
                description=description,
                impact=impact,
                urgency=urgency,
                channel=_pick(rng, CHANNEL_WEIGHTS),
                status=_pick(rng, weights),
            )
        )
    _show_everything(plans)
    # A few mailbox problems reported to MOF as computer problems, which MOF sends to NICTA.
    candidates = [p for p in plans if p.agency.code == "MOF" and p.status != "new"]
    for plan in rng.sample(candidates, min(TRANSFERS, len(candidates))):
        plan.transfer = True
        plan.category_slug = "computer-and-printer"
        plan.subject, plan.description = rng.choice(MISFILED_MAIL_PROBLEMS)
    for plan in plans:
        plan.steps = _steps(rng, plan, now)
    return sorted(plans, key=lambda p: p.created_at)


def _steps(rng: random.Random, plan: TicketPlan, now: datetime) -> list[timedelta]:
    """Gaps between the ticket's moves, shrunk to fit between its creation and now."""
    gaps = [timedelta(minutes=rng.randrange(5, 120)) for _ in range(6)]
    gaps += [timedelta(hours=rng.randrange(1, 48)) for _ in range(3)]
    available = (now - plan.created_at) - timedelta(minutes=2)
    total = sum(gaps, timedelta())
    if total > available:
        gaps = [gap * (available / total) for gap in gaps]
    return gaps


class _Clock:
    """The moments of one ticket's story, one step after another."""

    def __init__(self, start: datetime, gaps: list[timedelta], travel):
        self.moment, self.gaps, self.travel = start, list(gaps), travel

    def at(self, *, gap: bool = True):
        if gap and self.gaps:
            self.moment += self.gaps.pop(0)
        return self.travel(self.moment, tick=False)


def _seed_tickets(count: int, agencies: dict[str, Agency], travel) -> int:
    from tickets import services
    from tickets.models import Category, Ticket

    rng = random.Random(DEMO_RANDOM_SEED)  # noqa: S311 - demo data, not secrets
    now = timezone.now().replace(microsecond=0)
    people = {p[0]: p for p in PEOPLE}
    users = {u.email: u for u in User.objects.filter(email__in=people)}
    requesters = [
        (users[email], agencies[code])
        for email, _n, code, role, _t in PEOPLE
        if code and role == Role.REQUESTER
    ]
    staff: dict[int, list[User]] = {}
    for membership in Membership.objects.filter(
        user__in=users.values(), role__in=AGENCY_STAFF_ROLES
    ).select_related("user"):
        staff.setdefault(membership.agency_id, []).append(membership.user)
    for pool in staff.values():
        pool.sort(key=lambda user: user.email)  # the same choices on every run
    team_members = {
        team.pk: [m for m in team.members.all() if m in staff.get(team.agency_id, [])]
        for team in Team.objects.filter(agency__in=agencies.values()).prefetch_related("members")
    }
    categories = {c.slug: c for c in Category.objects.select_related("handling_agency", "team")}
    email_team = Team.objects.get(agency=agencies["NICTA"], name="E-mail and collaboration")

    def agent_for(ticket: Ticket) -> User:
        if ticket.assignee_id:
            return ticket.assignee
        pool = team_members.get(ticket.team_id) or staff[ticket.agency_id]
        return rng.choice(pool)

    tickets_before = Ticket.objects.count()
    for plan in _plans(rng, count, now, agencies, requesters):
        clock = _Clock(plan.created_at, plan.steps, travel)
        logged_by = rng.choice(staff[plan.agency.pk]) if plan.channel == "phone" else None
        with clock.at(gap=False):
            ticket = services.ticket_create(
                quiet=QUIET,
                requester=plan.requester,
                requester_agency=plan.agency,
                category=categories[plan.category_slug],
                subject=plan.subject,
                description=plan.description,
                impact=plan.impact,
                urgency=plan.urgency,
                channel=plan.channel,
                logged_by=logged_by,
            )
        if plan.status == Ticket.Status.NEW:
            continue
        agent = agent_for(ticket)
        if plan.transfer:
            with clock.at():
                ticket = services.ticket_transfer(
                    quiet=QUIET,
                    ticket=ticket,
                    to_agency=agencies["NICTA"],
                    reason=TRANSFER_REASON,
                    actor=agent,
                )
            agent = agent_for(ticket)
            with clock.at():
                ticket = services.ticket_update(
                    quiet=QUIET,
                    ticket=ticket,
                    actor=agent,
                    category=categories["email"],
                    team=email_team,
                )
            agent = agent_for(ticket)
        if ticket.assignee_id is None:
            with clock.at():
                ticket = services.ticket_assign(
                    quiet=QUIET, ticket=ticket, assignee=agent, actor=agent
                )
        _work(rng, clock, services, ticket, plan.status, agent, plan.requester)
    return Ticket.objects.count() - tickets_before


def _work(rng, clock, services, ticket, status: str, agent: User, requester: User) -> None:
    """Takes an assigned, open ticket on to `status` the way people would."""
    asks = status == "pending" or (status in ("resolved", "closed") and rng.random() < 0.35)
    with clock.at():
        body = rng.choice(QUESTIONS) if asks else rng.choice(FIRST_REPLIES)
        services.ticket_reply(quiet=QUIET, ticket=ticket, author=agent, body=body, as_agent=True)
    if asks:
        with clock.at(gap=False):
            services.ticket_update(quiet=QUIET, ticket=ticket, actor=agent, status="pending")
        if status == "pending":
            return
        with clock.at():
            services.ticket_reply(
                quiet=QUIET, ticket=ticket, author=requester, body=rng.choice(ANSWERS)
            )
    if status == "on_hold":
        with clock.at():
            services.ticket_reply(quiet=QUIET,
                ticket=ticket, author=agent, body=rng.choice(HOLD_NOTES), internal=True,
                as_agent=True,
            )  # fmt: skip
            services.ticket_update(quiet=QUIET, ticket=ticket, actor=agent, status="on_hold")
        return
    reopened = status == "open" and rng.random() < 0.2
    if status == "open" and not reopened:
        return
    with clock.at():
        services.ticket_reply(
            quiet=QUIET, ticket=ticket, author=agent, body=rng.choice(RESOLUTIONS), as_agent=True
        )
        services.ticket_update(quiet=QUIET, ticket=ticket, actor=agent, status="resolved")
    if reopened:
        with clock.at():
            services.ticket_reply(quiet=QUIET, ticket=ticket, author=requester, body=STILL_BROKEN)
    elif status == "closed":
        with clock.at():
            if rng.random() < 0.4:
                services.ticket_close_by_requester(quiet=QUIET, ticket=ticket, actor=requester)
            else:
                services.ticket_update(quiet=QUIET, ticket=ticket, actor=agent, status="closed")
