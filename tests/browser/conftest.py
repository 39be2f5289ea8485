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
