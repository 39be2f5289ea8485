"""Browser tests: one headless Debian Chromium per test session, driven by Playwright.

Every browser test is marked `browser` and put in the xdist group "browser", so that under
`pytest -n 2 --dist loadgroup` they share one worker and so one Chromium. Nothing downloads
a browser: Playwright drives /usr/bin/chromium, and every request that would leave the test
live server is refused and fails the test.

The pages a person meets on the journeys (signing in, reporting a problem, working the
queue) are listed once, in JOURNEY_PAGES; the accessibility, page-weight and CSP tests walk
that list.
"""

import gzip
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    expect,
    sync_playwright,
)

# The tickets tests' catalogue fixtures, for the ticket pages here: `name as name` tells the
# linter that they are imported to be used by pytest, not by this module.
from tests.tickets.conftest import mof_service_desk as mof_service_desk
from tests.tickets.conftest import payroll_category as payroll_category
from tests.tickets.conftest import printer_category as printer_category
from tickets import attachments, services

# Playwright's sync API keeps an asyncio event loop running in the test thread for as long
# as the browser is open (the whole session). Django sees that loop and refuses ORM calls
# from the test thread (fixtures, factories, the database flush after each test) with
# SynchronousOnlyOperation, although nothing here runs concurrently: the live server answers
# from its own thread. Set before any test runs, and for the whole process, because the
# session's loop outlives the browser tests on their xdist worker.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
# Long enough for a cold live server on a busy CI machine; a broken page fails well before.
TIMEOUT_MS = 15_000
GZIP_LEVEL = 6

expect.set_options(timeout=TIMEOUT_MS)


# -- The browser ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Browser tests need {CHROMIUM}: run `make browser`")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class BrowserSession:
    """One browser context (a fresh profile: no cookies, no cache) and what it saw."""

    context: BrowserContext
    base_url: str
    offsite_requests: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def new_page(self) -> Page:
        page = self.context.new_page()
        page.on("console", self._record_console)
        page.on("pageerror", lambda error: self.console.append(f"page error: {error}"))
        return page

    def _record_console(self, message: ConsoleMessage) -> None:
        self.console.append(f"{message.type}: {message.text}")


@pytest.fixture
def open_session(
    browser: Browser, live_server, transactional_db
) -> Iterator[Callable[..., BrowserSession]]:
    """Opens browser contexts on the live server; closes them and checks none left it."""
    sessions: list[BrowserSession] = []

    def open_(*, javascript: bool = True, user=None) -> BrowserSession:
        context = browser.new_context(
            base_url=live_server.url, java_script_enabled=javascript, locale="en-GB"
        )
        context.set_default_timeout(TIMEOUT_MS)
        session = BrowserSession(context=context, base_url=live_server.url)
        # Routing also switches off the HTTP cache, so every load is a first load.
        context.route(
            lambda url: not url.startswith(live_server.url + "/"),
            lambda route: _refuse_offsite(route, session),
        )
        if user is not None:
            _sign_in_by_cookie(context, live_server.url, user)
        sessions.append(session)
        return session

    yield open_
    for session in sessions:
        session.context.close()
    offsite = [url for session in sessions for url in session.offsite_requests]
    assert not offsite, f"the pages asked for something off the test server: {offsite}"


def _refuse_offsite(route, session: BrowserSession) -> None:
    session.offsite_requests.append(route.request.url)
    route.abort()


def _sign_in_by_cookie(context: BrowserContext, base_url: str, user) -> None:
    """Skips the sign-in form (the journey tests go through it) by sharing a session."""
    client = Client()
    client.force_login(user)
    session_id = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session_id, "url": base_url}]
    )


@pytest.fixture
def session(open_session) -> BrowserSession:
    return open_session()


@pytest.fixture
def page(session: BrowserSession) -> Page:
    return session.new_page()


# -- Steps a person takes ---------------------------------------------------------------------


def sign_in(page: Page, *, email: str, password: str) -> None:
    """Fills in and sends the sign-in form of the page already open."""
    form = page.locator("main form")
    form.get_by_label(re.compile(r"e-?mail", re.IGNORECASE)).fill(email)
    form.get_by_label("Password").fill(password)
    form.get_by_role("button", name="Sign in").click()


def open_account_menu(page: Page) -> None:
    """Opens the header's account menu (and, on a narrow screen, the menu around it)."""
    # Whether a summary shows depends on the stylesheet: ask once it has loaded, or a busy
    # machine answers for the unstyled page.
    page.wait_for_load_state("load")
    for menu in ("details.site-menu", "details.account-menu"):
        summary = page.locator(f"header {menu} > summary")
        if summary.is_visible() and page.locator(f"header {menu}[open]").count() == 0:
            summary.click()


def sign_out(page: Page) -> None:
    open_account_menu(page)
    page.locator("header").get_by_role("button", name="Sign out").click()


def heading(page: Page) -> str:
    return page.get_by_role("heading", level=1).inner_text().strip()


# -- The pages of the journeys -----------------------------------------------------------------


@dataclass(frozen=True)
class JourneyPage:
    """A page of a journey. `load` is the one navigation that shows it (what the page-weight
    test measures); `prepare`, if any, runs first in the same browser tab; `heading` is the
    page's h1, so that no test checks the wrong page by mistake. A page `signed_in` is seen
    as `persona` (a fixture's name); `data` names the fixtures that set up what it shows."""

    name: str
    heading: str
    load: Callable[[Page], object]
    signed_in: bool = False
    prepare: Callable[[Page], object] | None = None
    persona: str = "mof_head"
    data: tuple[str, ...] = ()


def _goto(path: str) -> Callable[[Page], object]:
    return lambda page: page.goto(path)


def _send_wrong_password(page: Page) -> None:
    sign_in(page, email="head@mof.gov.test", password="not the password")
    # The page before has the same heading: wait for the answer to arrive.
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")


def _send_empty_report(page: Page) -> None:
    page.get_by_role("button", name="Send report").click()
    # The page before has the same heading: wait for the answer to arrive.
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")


# The ticket `reported_ticket` opens: the first of its handling agency, MOF.
REPORTED_TICKET = "MOF-000001"
REPORTED_SUBJECT = "The printer on the second floor is offline"


def _open_ticket_with_agent_panel(page: Page) -> None:
    page.goto(f"/tickets/{REPORTED_TICKET}/")
    # The same heading without the panel would be a different page: the requester's.
    expect(page.get_by_role("region", name="Work on this ticket")).to_be_visible()


JOURNEY_PAGES = [
    JourneyPage("home-signed-out", "IT help for every part of government", _goto("/")),
    JourneyPage("sign-in", "Sign in", _goto("/accounts/login/")),
    JourneyPage(
        "sign-in-wrong-password",
        "Sign in",
        _send_wrong_password,
        prepare=_goto("/accounts/login/"),
    ),
    JourneyPage("home-signed-in", "Welcome, Comfort", _goto("/"), signed_in=True),
    JourneyPage("profile", "Your profile", _goto("/profile/"), signed_in=True),
    JourneyPage(
        "teams", "Teams of Ministry of Finance", _goto("/agencies/MOF/teams/"), signed_in=True
    ),
    JourneyPage(
        "members", "People in Ministry of Finance", _goto("/agencies/MOF/members/"), signed_in=True
    ),
    JourneyPage(
        "home-requester",
        "Welcome, Musu",
        _goto("/"),
        signed_in=True,
        persona="mof_requester",
        data=("reported_ticket",),
    ),
    JourneyPage(
        "agency-settings",
        "Settings of Ministry of Finance",
        _goto("/agencies/MOF/settings/"),
        signed_in=True,
    ),
    JourneyPage(
        "service-levels",
        "Service levels of Ministry of Finance",
        _goto("/agencies/MOF/service-levels/"),
        signed_in=True,
    ),
    JourneyPage("sign-up", "Sign up", _goto("/accounts/signup/")),
    JourneyPage("password-reset", "Password reset", _goto("/accounts/password/reset/")),
    JourneyPage("not-found", "Page not found", _goto("/no-such-page/")),
]

TICKET_JOURNEY_PAGES = [
    # A requester reports a problem and follows it.
    JourneyPage(
        "report-a-problem",
        "Report a problem",
        _goto("/tickets/new/"),
        signed_in=True,
        persona="mof_requester",
        data=("ticket_catalogue",),
    ),
    JourneyPage(
        "report-a-problem-with-errors",
        "Report a problem",
        _send_empty_report,
        signed_in=True,
        prepare=_goto("/tickets/new/"),
        persona="mof_requester",
        data=("ticket_catalogue",),
    ),
    JourneyPage(
        "report-confirmation",
        "Your problem is reported",
        _goto(f"/tickets/new/?created={REPORTED_TICKET}"),
        signed_in=True,
        persona="mof_requester",
        data=("reported_ticket",),
    ),
    JourneyPage(
        "my-tickets",
        "Your tickets",
        _goto("/tickets/"),
        signed_in=True,
        persona="mof_requester",
        data=("reported_ticket",),
    ),
    JourneyPage(
        "ticket-as-requester",
        REPORTED_SUBJECT,
        _goto(f"/tickets/{REPORTED_TICKET}/"),
        signed_in=True,
        persona="mof_requester",
        data=("reported_ticket",),
    ),
    # An agent works the queue; the agency admin keeps the catalogue.
    JourneyPage(
        "ticket-as-agent",
        REPORTED_SUBJECT,
        _open_ticket_with_agent_panel,
        signed_in=True,
        persona="mof_agent",
        data=("reported_ticket",),
    ),
    JourneyPage(
        "queue",
        "Queue of Ministry of Finance",
        _goto("/queue/"),
        signed_in=True,
        persona="mof_agent",
        data=("reported_ticket",),
    ),
    JourneyPage(
        "log-a-call",
        "Log a call",
        _goto("/queue/log-call/"),
        signed_in=True,
        persona="mof_agent",
        data=("ticket_catalogue",),
    ),
    JourneyPage(
        "service-catalogue",
        "Service catalogue",
        _goto("/categories/"),
        signed_in=True,
        data=("ticket_catalogue",),
    ),
]
JOURNEY_PAGES += TICKET_JOURNEY_PAGES

# The agent workspace's own states: another view of the queue with its filters open, and
# "Assign to me" asking first.
JOURNEY_PAGES += [
    JourneyPage(
        "queue-filtered",
        "Queue of Ministry of Finance",
        _goto("/queue/?view=all&q=printer"),
        signed_in=True,
        persona="mof_agent",
        data=("reported_ticket",),
    ),
    JourneyPage(
        "take-confirm",
        "Take this ticket from James Tarpeh?",
        _goto(f"/tickets/{REPORTED_TICKET}/take/"),
        signed_in=True,
        persona="mof_head",
        data=("reported_ticket",),
    ),
]


def _send_empty_response(page: Page) -> None:
    page.get_by_role("button", name="Save response").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")


# The agent's tools: the library of canned responses and macros, and saved views.
WORKSPACE_JOURNEY_PAGES = [
    JourneyPage(
        "workspace-library",
        "Canned responses and macros",
        _goto("/workspace/library/"),
        signed_in=True,
        persona="mof_agent",
        data=("workspace_library",),
    ),
    JourneyPage(
        "workspace-response-form-with-errors",
        "Add a response",
        _send_empty_response,
        signed_in=True,
        prepare=_goto("/workspace/responses/new/"),
        persona="mof_head",
    ),
    JourneyPage(
        "workspace-macro-form",
        "Add a macro",
        _goto("/workspace/macros/new/"),
        signed_in=True,
        persona="mof_head",
        data=("workspace_library",),
    ),
    JourneyPage(
        "workspace-saved-views",
        "Saved views",
        _goto("/workspace/views/?view=all"),
        signed_in=True,
        persona="mof_head",
        data=("workspace_library",),
    ),
]
JOURNEY_PAGES += WORKSPACE_JOURNEY_PAGES


def _send_bad_phone_number(page: Page) -> None:
    page.get_by_label("Mobile number").fill("not a number")
    page.get_by_role("button", name="Send a code").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")


# SMS and USSD: a person's mobile number, and an agency admin's import of numbers.
CHANNELS_JOURNEY_PAGES = [
    JourneyPage(
        "phone", "Your mobile number", _goto("/profile/phone/"), signed_in=True,
        persona="mof_requester",
    ),
    JourneyPage(
        "phone-with-errors", "Your mobile number", _send_bad_phone_number, signed_in=True,
        prepare=_goto("/profile/phone/"), persona="mof_requester",
    ),
    JourneyPage(
        "phone-import", "Mobile numbers of Ministry of Finance",
        _goto("/agencies/MOF/phones/import/"), signed_in=True,
    ),
]  # fmt: skip
JOURNEY_PAGES += CHANNELS_JOURNEY_PAGES


def _redact_first_message(page: Page) -> None:
    """The page the first message's "Redact" link on the agent's ticket page opens."""
    from tickets.models import TicketEvent

    first = TicketEvent.objects.get(ticket__reference=REPORTED_TICKET, kind="created")
    page.goto(f"/tickets/{REPORTED_TICKET}/messages/{first.pk}/redact/")


# Data protection: the access log, a person's data, an agency's retention period, and the
# page that removes text from a message for good.
PRIVACY_JOURNEY_PAGES = [
    JourneyPage(
        "access-log", "Who read personal data", _goto("/privacy/"), signed_in=True,
        persona="platform_admin",
    ),
    JourneyPage(
        "person-data", "Musu Kollie", _goto("/privacy/people/?email=requester%40mof.gov.test"),
        signed_in=True, persona="platform_admin", data=("mof_requester",),
    ),
    JourneyPage(
        "retention", "How long Ministry of Finance keeps personal data",
        _goto("/privacy/retention/MOF/"), signed_in=True,
    ),
    JourneyPage(
        "redact-message", "Redact a message", _redact_first_message, signed_in=True,
        persona="mof_agent", data=("reported_ticket",),
    ),
]  # fmt: skip
JOURNEY_PAGES += PRIVACY_JOURNEY_PAGES


def _satisfaction_link(page: Page) -> None:
    """The requester's link from the resolution e-mail, signed now for the resolved ticket."""
    from satisfaction.services import survey_token
    from tickets.models import TicketEvent

    resolution = TicketEvent.objects.filter(kind="status", data__new="resolved").latest("pk")
    page.goto(f"/satisfaction/{survey_token(resolution)}/")


# Help articles, finding one while reporting, keeping them; the verdict after a resolution.
KNOWLEDGE_JOURNEY_PAGES = [
    JourneyPage("help", "Help", _goto("/help/?q=printer"), data=("help_articles",)),
    JourneyPage(
        "help-article", "Printer shows “paper jam”", _goto("/help/printer-paper-jam/"),
        data=("help_articles",),
    ),
    JourneyPage(
        "help-check-first", "Check help first", _goto("/help/check/?subject=paper+jam"),
        signed_in=True, persona="mof_requester", data=("help_articles",),
    ),
    JourneyPage(
        "help-manage", "Your agency's articles", _goto("/help/manage/"), signed_in=True,
        data=("help_articles",),
    ),
    JourneyPage(
        "help-article-edit", "Edit article", _goto("/help/printer-paper-jam/edit/"),
        signed_in=True, data=("help_articles",),
    ),
    JourneyPage(
        "satisfaction", f"Your verdict on {REPORTED_TICKET}", _satisfaction_link,
        data=("resolved_ticket",),
    ),
]  # fmt: skip
JOURNEY_PAGES += KNOWLEDGE_JOURNEY_PAGES

# Service levels: an agency's calendar and service levels, with what the last change moved;
# the confirmation that resolving a major incident asks for.
SERVICE_LEVEL_JOURNEY_PAGES = [
    JourneyPage(
        "agency-calendar", "Working hours and holidays of Ministry of Finance",
        _goto("/agencies/MOF/calendar/"), signed_in=True, data=("sla_recomputed",),
    ),
    JourneyPage(
        "agency-service-levels", "Service levels of Ministry of Finance",
        _goto("/agencies/MOF/service-levels/"), signed_in=True, data=("sla_recomputed",),
    ),
    JourneyPage(
        "incident-resolve-confirm", "Resolve MOF-000002 and its tickets",
        _goto("/incidents/MOF-000002/resolve/"), signed_in=True, persona="mof_agent",
        data=("major_incident",),
    ),
]  # fmt: skip
JOURNEY_PAGES += SERVICE_LEVEL_JOURNEY_PAGES


def journey_page(name: str) -> JourneyPage:
    return next(page for page in JOURNEY_PAGES if page.name == name)


@pytest.fixture
def government(mof_head, mof_agent, mof_team):
    """Ministry of Finance with a team, its head (Comfort Doe) and an agent."""
    return mof_head


@pytest.fixture
def media_root(settings, tmp_path):
    """Attachments go to the test's own folder, never the project's .devdata. The live server
    runs in this process, so it sees the change."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def ticket_catalogue(government, mof, mof_team, mof_agent, printer_category, payroll_category):
    """MOF's team (the government's) is its intake team, with the agent in it; the catalogue
    has a government-wide service and one of MOF's own."""
    mof.intake_team = mof_team
    mof.save(update_fields=["intake_team"])
    mof_team.members.add(mof_agent)
    return printer_category


@pytest.fixture
def reported_ticket(ticket_catalogue, media_root, mof, mof_requester, mof_agent):
    """A ticket with everything its page can show: a file, an agent's reply, an internal note
    (which only the agent sees), an assignee."""
    ticket = attachments.ticket_create_with_attachments(
        requester=mof_requester,
        requester_agency=mof,
        category=ticket_catalogue,
        subject=REPORTED_SUBJECT,
        description="It shows **paper jam** but there is no paper in it.\n\n- Tray 1\n- Tray 2",
        impact="medium",
        urgency="high",
        files=attachments.attachments_check(
            [SimpleUploadedFile("error.txt", b"Error 41.2\n", content_type="text/plain")]
        ),
    )
    services.ticket_assign(ticket=ticket, assignee=mof_agent, actor=mof_agent)
    services.ticket_reply(ticket=ticket, author=mof_agent, body="I am on my way.", as_agent=True)
    services.ticket_reply(
        ticket=ticket, author=mof_agent, body="Fuser unit again?", internal=True, as_agent=True
    )
    assert ticket.reference == REPORTED_TICKET
    return ticket


@pytest.fixture
def sla_recomputed(mof):
    """MOF's last change of its rules, done: 3 of its 12 open tickets moved."""
    from service_levels.models import SLARecompute

    now = timezone.now()
    return SLARecompute.objects.create(
        agency=mof, reason="holiday_added", state="done", requested_at=now, finished_at=now,
        checked=12, moved=3,
    )  # fmt: skip


@pytest.fixture
def major_incident(reported_ticket, mof_agent, payroll_category):
    """MOF-000002, a major incident of MOF's payroll, with the reported ticket in it."""
    from incidents import services as incident_services

    incident = incident_services.incident_declare(
        actor=mof_agent, category=payroll_category, subject="Payroll is down",
        description="Nobody can open the payroll system.",
    )  # fmt: skip
    incident_services.incident_attach(incident=incident, ticket=reported_ticket, actor=mof_agent)
    return incident


@dataclass(frozen=True)
class Visit:
    session: BrowserSession
    page: Page
    transfer_log: "TransferLog"


@pytest.fixture
def visit(open_session, government, request) -> Callable[[JourneyPage], Visit]:
    """Opens a journey page in a fresh browser, signed in as its persona where it needs."""

    def visit_(journey_page: JourneyPage) -> Visit:
        for fixture_name in journey_page.data:
            request.getfixturevalue(fixture_name)
        user = request.getfixturevalue(journey_page.persona) if journey_page.signed_in else None
        session = open_session(user=user)
        page = session.new_page()
        if journey_page.prepare:
            journey_page.prepare(page)
            # The page before fetches its icon after it loads: let that finish, or the
            # transfer log below would count a body that the next navigation throws away.
            page.wait_for_load_state("networkidle")
        transfer_log = TransferLog(page)
        journey_page.load(page)
        # A page reached by a form's button is read once its stylesheet has loaded: before,
        # a textarea keeps the browser's own 40 columns and the page looks too wide.
        page.wait_for_load_state("load")
        # Either case: allauth's own headings are in title case ("Sign In"), ours are not.
        assert heading(page).casefold() == journey_page.heading.casefold()
        return Visit(session, page, transfer_log)

    return visit_


# -- Accessibility ----------------------------------------------------------------------------

_axe = Axe()


def axe_violations(page: Page) -> list[dict]:
    """axe-core's violations on the page as it is now, with axe's default rules (WCAG 2.x
    A and AA, and its best practices)."""
    return _axe.run(page).response["violations"]


def describe_violations(violations: list[dict]) -> str:
    lines = [f"{len(violations)} accessibility violation(s):"]
    for violation in violations:
        lines.append(
            f"\n{violation['id']} ({violation['impact']}): {violation['help']}\n"
            f"  {violation['helpUrl']}"
        )
        for node in violation["nodes"]:
            html = " ".join(node["html"].split())
            lines.append(f"  - at {' '.join(map(str, node['target']))}: {html}")
            lines.extend(f"      {line}" for line in node["failureSummary"].splitlines())
    return "\n".join(lines)


# -- Page weight ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Transfer:
    url: str
    resource_type: str
    gzip_bytes: int


class TransferLog:
    """What a page transfers from the moment it is attached: the document and every
    sub-resource. The test live server does not compress, so each body counts as gzip at
    level 6 would send it, as a production server does. Redirects have no body and count 0.
    """

    def __init__(self, page: Page) -> None:
        self._page = page
        self._requests = []
        page.on("requestfinished", lambda request: self._requests.append(request))

    def transfers(self) -> list[Transfer]:
        # Nothing in flight for half a second: every request the load started has finished.
        self._page.wait_for_load_state("networkidle")
        return [
            Transfer(request.url, request.resource_type, _gzip_size(request.response()))
            for request in self._requests
        ]


def _gzip_size(response) -> int:
    if response is None or 300 <= response.status < 400:
        return 0
    return len(gzip.compress(response.body(), compresslevel=GZIP_LEVEL))


@pytest.fixture
def help_articles(ticket_catalogue, mof, mof_head):
    """A public article of MOF's in English and French, published by its head."""
    from knowledge import services as knowledge_services

    head = mof_head.memberships.get()
    article = knowledge_services.article_create(
        actor=mof_head, membership=head, owner_agency=mof, language="en",
        title="Printer shows “paper jam”", slug="printer-paper-jam",
        summary="When the printer says paper jam but there is no paper in it.",
        body="1. Switch the printer **off**.\n2. Open tray 2 and close it.\n3. Switch it on.",
    )  # fmt: skip
    knowledge_services.article_edit(
        article=article, actor=mof_head, membership=head, language="fr",
        title="L'imprimante affiche « bourrage papier »",
        body="1. Éteignez l'imprimante.\n2. Ouvrez et refermez le bac 2.\n3. Rallumez-la.",
    )  # fmt: skip
    knowledge_services.article_set_status(
        article=article, actor=mof_head, membership=head, status="published"
    )
    return article


@pytest.fixture
def resolved_ticket(reported_ticket, mof_agent):
    services.ticket_update(ticket=reported_ticket, actor=mof_agent, status="resolved")
    return reported_ticket


@pytest.fixture
def workspace_library(reported_ticket, mof_agent, mof_head):
    """A French-speaking requester on the reported ticket; an agency response in English and
    French, a macro sending it and waiting for the requester, and a view shared with MOF."""
    from workspace import services as workspace_services
    from workspace.models import Scope

    requester = reported_ticket.requester
    requester.preferred_language = "fr"
    requester.save(update_fields=["preferred_language"])
    head = mof_head.memberships.get()
    response = workspace_services.canned_response_save(
        membership=head,
        scope=Scope.AGENCY,
        title="Printer restarted",
        body_en="Hello {{ requester.first_name }}, the printer is restarted.",
        body_fr="Bonjour {{ requester.first_name }}, l'imprimante est redémarrée.",
    )
    workspace_services.macro_save(
        membership=head, scope=Scope.AGENCY, name="Restarted, waiting", response=response,
        status="pending",
    )  # fmt: skip
    workspace_services.saved_view_create(
        owner=mof_head, membership=head, name="Urgent in MOF", query="view=all&priority=P2",
        scope=Scope.AGENCY,
    )  # fmt: skip
    return response
