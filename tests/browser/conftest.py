"""Browser tests: one headless Debian Chromium per test session, driven by Playwright.

Every browser test is marked `browser` and put in the xdist group "browser", so that under
`pytest -n 2 --dist loadgroup` they share one worker and so one Chromium. Nothing downloads
a browser: Playwright drives /usr/bin/chromium, and every request that would leave the test
live server is refused and fails the test.

The pages a person meets on the first journey are listed once, in JOURNEY_PAGES; the
accessibility, page-weight and CSP tests walk that list.
"""

import gzip
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    expect,
    sync_playwright,
)

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


def sign_out(page: Page) -> None:
    page.locator("header").get_by_role("button", name="Sign out").click()


def heading(page: Page) -> str:
    return page.get_by_role("heading", level=1).inner_text().strip()


# -- The pages of the first journey -----------------------------------------------------------


@dataclass(frozen=True)
class JourneyPage:
    """A page of the first journey. `load` is the one navigation that shows it (what the
    page-weight test measures); `prepare`, if any, runs first in the same browser tab;
    `heading` is the page's h1, so that no test checks the wrong page by mistake."""

    name: str
    heading: str
    load: Callable[[Page], object]
    signed_in: bool = False
    prepare: Callable[[Page], object] | None = None


def _goto(path: str) -> Callable[[Page], object]:
    return lambda page: page.goto(path)


def _send_wrong_password(page: Page) -> None:
    sign_in(page, email="head@mof.gov.test", password="not the password")
    # The page before has the same heading: wait for the answer to arrive.
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")


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
    JourneyPage("sign-up", "Sign up", _goto("/accounts/signup/")),
    JourneyPage("password-reset", "Password reset", _goto("/accounts/password/reset/")),
    JourneyPage("not-found", "Page not found", _goto("/no-such-page/")),
]


def journey_page(name: str) -> JourneyPage:
    return next(page for page in JOURNEY_PAGES if page.name == name)


@pytest.fixture
def government(mof_head, mof_agent, mof_team):
    """Ministry of Finance with a team, its head (Comfort Doe) and an agent."""
    return mof_head


@dataclass(frozen=True)
class Visit:
    session: BrowserSession
    page: Page
    transfer_log: "TransferLog"


@pytest.fixture
def visit(open_session, government) -> Callable[[JourneyPage], Visit]:
    """Opens a journey page in a fresh browser, signed in as the MOF head where it needs."""

    def visit_(journey_page: JourneyPage) -> Visit:
        session = open_session(user=government if journey_page.signed_in else None)
        page = session.new_page()
        if journey_page.prepare:
            journey_page.prepare(page)
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
