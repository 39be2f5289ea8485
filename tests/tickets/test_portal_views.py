"""The requester portal and the ticket page, through the client as each persona sees them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from tests.factories import MembershipFactory, UserFactory
from tickets import services
from tickets.models import Attachment, Category, Ticket, TicketEvent

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
PDF = b"%PDF-1.7\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def stored_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


@pytest.fixture
def signed_in_requester(client, mof_requester):
    client.force_login(mof_requester)
    return client


@pytest.fixture
def other_mof_requester(mof):
    user = UserFactory(email="colleague@mof.gov.test", full_name="Fatu Kamara")
    MembershipFactory(user=user, agency=mof, role=Role.REQUESTER)
    return user


@pytest.fixture
def ticket(mof_requester, printer_category, open_ticket, mof_service_desk):
    return open_ticket(mof_requester, printer_category)


def report(category: Category, /, **fields) -> dict:
    return {
        "category": category.pk,
        "subject": "Printer offline",
        "description": "The printer on the second floor shows **E-042**.",
        "impact": "medium",
        "urgency": "high",
        **fields,
    }


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


# -- Reporting a problem --------------------------------------------------------------------


def test_it_offers_government_wide_and_own_agency_services_grouped(
    signed_in_requester, printer_category, email_category, payroll_category, moh
):
    hardware = Category.objects.create(name="Hardware", slug="hardware")
    Category.objects.create(name="Laptop", slug="laptop", parent=hardware)
    Category.objects.create(name="Clinic system", slug="moh-clinic", agency=moh)
    Category.objects.create(name="Fax", slug="fax", is_active=False)
    response = signed_in_requester.get("/tickets/new/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<optgroup label="Hardware">' in html
    for offered in ("Computer and printer", "Government e-mail", "Payroll", "Laptop"):
        assert offered in html
    assert "Clinic system" not in html and "Fax" not in html
    assert 'enctype="multipart/form-data"' in html
    assert "<legend>Who is affected?</legend>" in html
    assert "No, work has stopped" in html


def test_it_reports_a_problem_and_shows_its_reference(
    signed_in_requester, mof_requester, mof, printer_category, mof_service_desk
):
    response = signed_in_requester.post("/tickets/new/", report(printer_category))
    assert response.status_code == 302
    assert response["Location"] == "/tickets/new/?created=MOF-000001"
    ticket = Ticket.objects.get()
    assert (ticket.requester, ticket.requester_agency, ticket.agency) == (mof_requester, mof, mof)
    assert (ticket.team, ticket.impact, ticket.urgency, ticket.priority) == (
        mof_service_desk,
        "medium",
        "high",
        "P2",
    )
    assert ticket.channel == Ticket.Channel.WEB
    page = signed_in_requester.get(response["Location"])
    html = page.content.decode()
    assert "Your problem is reported" in html
    assert "MOF-000001" in html
    assert 'href="/tickets/MOF-000001/"' in html


def test_it_reports_a_problem_with_files(
    settings, signed_in_requester, mof_requester, printer_category
):
    data = report(
        printer_category,
        attachments=[upload("screen.png", PNG), upload("C:\\scans\\manual.pdf", PDF)],
    )
    response = signed_in_requester.post("/tickets/new/", data)
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    files = list(Attachment.objects.order_by("name"))
    assert [(a.name, a.content_type, a.size) for a in files] == [
        ("manual.pdf", "application/pdf", len(PDF)),
        ("screen.png", "image/png", len(PNG)),
    ]
    assert {a.event.kind for a in files} == {TicketEvent.Kind.CREATED}
    assert {a.ticket for a in files} == {ticket}
    assert {a.uploaded_by for a in files} == {mof_requester}
    assert len(stored_files(settings)) == 2


def test_it_sends_an_email_problem_to_nicta(
    signed_in_requester, email_category, nicta, nicta_email_team, mof
):
    response = signed_in_requester.post("/tickets/new/", report(email_category))
    assert response["Location"] == "/tickets/new/?created=NICTA-000001"
    ticket = Ticket.objects.get()
    assert (ticket.agency, ticket.team, ticket.requester_agency) == (nicta, nicta_email_team, mof)
    html = signed_in_requester.get(response["Location"]).content.decode()
    assert "National ICT Agency has received it" in html


def test_it_uses_the_services_usual_impact_and_urgency_when_left_out(
    signed_in_requester, printer_category
):
    data = report(printer_category)
    del data["impact"], data["urgency"]
    signed_in_requester.post("/tickets/new/", data)
    ticket = Ticket.objects.get()
    assert (ticket.impact, ticket.urgency, ticket.priority) == ("low", "medium", "P4")


def test_it_chooses_the_service_named_in_the_address(signed_in_requester, email_category):
    response = signed_in_requester.get("/tickets/new/?category=government-email")
    form = response.context["form"]
    assert form["category"].value() == str(email_category.pk)
    assert (form["impact"].value(), form["urgency"].value()) == ("low", "medium")


def test_it_lets_a_member_of_the_public_report_a_shared_service_problem(
    client, email_category, nicta
):
    public = UserFactory(email="citizen@example.test")
    MembershipFactory(user=public, agency=None, role=Role.REQUESTER)
    client.force_login(public)
    response = client.post("/tickets/new/", report(email_category))
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert (ticket.requester_agency, ticket.agency) == (None, nicta)


def test_it_tells_the_public_their_own_agency_cannot_handle_it(client, printer_category):
    public = UserFactory(email="citizen@example.test")
    client.force_login(public)  # no membership at all
    response = client.post("/tickets/new/", report(printer_category))
    assert response.status_code == 200
    assert "handled by your own agency, and you have none" in response.content.decode()
    assert not Ticket.objects.exists()


def _assert_kept_and_nothing_stored(response, settings, **typed):
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert 'class="error-summary"' in html
    for value in typed.values():
        assert value in html, f"{value!r} was not kept"
    assert not Ticket.objects.exists()
    assert not TicketEvent.objects.exists()
    assert not Attachment.objects.exists()
    assert stored_files(settings) == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"subject": "   "}, "subject", "Enter a subject."),
        ({"subject": "x" * 201}, "subject", "Keep the subject to 200 characters or fewer."),
        ({"description": ""}, "description", "Describe the problem."),
        ({"category": ""}, "category", "Choose the service the problem is about."),
        ({"category": "999999"}, "category", "Choose a service from the list."),
        ({"category": "not-a-number"}, "category", "Choose a service from the list."),
    ],
)
def test_it_keeps_what_was_typed_when_a_field_is_wrong(
    settings, signed_in_requester, printer_category, changes, field, message
):
    data = report(printer_category, **changes)
    response = signed_in_requester.post("/tickets/new/", data)
    assert response.context["form"].errors[field] == [message]
    assert f'href="#id_{field}"' in response.content.decode()
    kept = {k: v for k, v in data.items() if k in ("subject", "description") and v.strip()}
    _assert_kept_and_nothing_stored(response, settings, **kept)


def test_it_refuses_an_inactive_service(
    settings, signed_in_requester, printer_category, email_category
):
    printer_category.is_active = False
    printer_category.save(update_fields=["is_active"])
    response = signed_in_requester.post("/tickets/new/", report(printer_category))
    assert response.context["form"].errors["category"] == ["Choose a service from the list."]
    _assert_kept_and_nothing_stored(response, settings, subject="Printer offline")


def test_it_refuses_another_agencys_service(
    client, settings, moh_agent, payroll_category, printer_category
):
    client.force_login(moh_agent)
    response = client.post("/tickets/new/", report(payroll_category))
    assert response.context["form"].errors["category"] == ["Choose a service from the list."]
    _assert_kept_and_nothing_stored(response, settings, subject="Printer offline")


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([("drawing.svg", b"<svg onload='alert(1)'></svg>")], "drawing.svg is a kind of file"),
        ([("page.html", b"<html><script>alert(1)</script>")], "page.html is a kind of file"),
        ([("page.png", b"<html><script>alert(1)</script>")], "page.png is not really a .png"),
        ([("big.pdf", PDF + b"\x00" * 2048)], "big.pdf is 2.0\xa0KB: each file may be at most"),
        ([(f"{n}.png", PNG) for n in range(3)], "Attach at most 2 files. You chose 3."),
    ],
)
def test_it_refuses_bad_files_and_keeps_the_rest(
    settings, signed_in_requester, printer_category, files, message
):
    settings.ATTACHMENT_MAX_BYTES = 2048
    settings.ATTACHMENT_MAX_FILES = 2
    data = report(printer_category, attachments=[upload(n, c) for n, c in files])
    response = signed_in_requester.post("/tickets/new/", data)
    errors = response.context["form"].errors["attachments"]
    assert any(error.startswith(message) for error in errors), errors
    assert "choose your files again" in response.content.decode()
    _assert_kept_and_nothing_stored(
        response, settings, subject="Printer offline", description="shows **E-042**."
    )


def test_it_shows_a_confirmation_only_for_a_ticket_the_person_may_see(
    client, other_mof_requester, ticket
):
    client.force_login(other_mof_requester)
    assert client.get(f"/tickets/new/?created={ticket.reference}").status_code == 404


def test_it_sends_the_signed_out_to_sign_in(client):
    response = client.get("/tickets/new/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# -- My tickets -----------------------------------------------------------------------------


def test_it_lists_own_and_followed_tickets_only(
    client, mof_agent, mof_requester, other_mof_requester, printer_category, open_ticket
):
    own = open_ticket(mof_agent, printer_category, subject="My own laptop")
    followed = open_ticket(mof_requester, printer_category, subject="Shared printer")
    services.ticket_watcher_add(ticket=followed, email=mof_agent.email, actor=mof_requester)
    open_ticket(other_mof_requester, printer_category, subject="Someone else's problem")
    client.force_login(mof_agent)  # an agent: the agency's queue is elsewhere
    response = client.get("/tickets/")
    assert response.status_code == 200
    assert list(response.context["tickets"]) == [followed, own]  # latest activity first
    html = response.content.decode()
    assert "You follow this ticket of Musu Kollie" in html
    assert "Someone else" not in html


def test_it_lists_a_ticket_once_however_many_follow_it(
    signed_in_requester, mof_requester, mof_agent, other_mof_requester, ticket
):
    for person in (mof_agent, other_mof_requester):
        services.ticket_watcher_add(ticket=ticket, email=person.email, actor=mof_requester)
    response = signed_in_requester.get("/tickets/")
    assert list(response.context["tickets"]) == [ticket]


def test_it_shows_status_in_words_and_the_handling_agency(
    signed_in_requester, mof_requester, email_category, open_ticket
):
    open_ticket(mof_requester, email_category)
    html = signed_in_requester.get("/tickets/").content.decode()
    assert "NICTA-000001" in html
    assert ">New<" in html
    assert "National ICT Agency" in html
    assert "<time datetime=" in html


def test_it_pages_my_tickets_in_a_fixed_number_of_queries(
    signed_in_requester, mof_requester, printer_category, open_ticket, django_assert_num_queries
):
    for n in range(27):
        open_ticket(mof_requester, printer_category, subject=f"Problem {n}")
    # 1 session, 1 user, 1 memberships and 1 unread-notices count (header),
    # 1 count, 1 page of tickets with their
    # agency, team, assignee, requester and category.
    with django_assert_num_queries(6):
        response = signed_in_requester.get("/tickets/")
    assert len(response.context["tickets"]) == 25
    assert "Page 1 of 2" in response.content.decode()
    second = signed_in_requester.get("/tickets/?page=2")
    assert [t.subject for t in second.context["tickets"]] == ["Problem 1", "Problem 0"]


# -- The ticket page ------------------------------------------------------------------------


def test_it_shows_the_ticket_and_its_history_to_its_requester(
    signed_in_requester, mof_agent, ticket
):
    services.ticket_reply(
        ticket=ticket, author=mof_agent, body="Try **switching** it off.", as_agent=True
    )
    response = signed_in_requester.get("/tickets/mof-000001/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Printer offline</h1>" in html
    assert "Ministry of Finance (MOF), team Service desk" in html
    assert "Status changed from New to Open." in html
    assert "Try <strong>switching</strong> it off." in html
    assert "<time datetime=" in html
    assert "Internal note (not shown" not in html  # no note checkbox for the requester
    assert "Close this ticket" in html and "Add a colleague" in html
    assert "Work on this ticket" not in html


def test_it_hides_internal_notes_from_the_requester(client, mof_requester, mof_agent, ticket):
    services.ticket_reply(
        ticket=ticket, author=mof_agent, body="Vendor contract expired.", internal=True,
        as_agent=True,
    )  # fmt: skip
    client.force_login(mof_requester)
    assert "Vendor contract expired." not in client.get("/tickets/MOF-000001/").content.decode()
    client.force_login(mof_agent)
    html = client.get("/tickets/MOF-000001/").content.decode()
    assert "Vendor contract expired." in html
    assert "Internal note: not shown to the requester" in html


def test_it_shows_a_transfer_in_plain_words(
    client, mof_requester, mof_agent, ticket, nicta, nicta_email_team
):
    services.ticket_transfer(
        ticket=ticket, to_agency=nicta, reason="Mail server fault", actor=mof_agent
    )
    client.force_login(mof_requester)
    html = client.get("/tickets/MOF-000001/").content.decode()
    assert "NICTA handles this ticket from now on: MOF passed it on. Why: Mail server fault" in html
    assert "Status changed" not in html
    assert "National ICT Agency (NICTA)" in html


def test_it_points_a_merged_ticket_to_its_target(
    signed_in_requester, mof_requester, mof_agent, ticket, printer_category, open_ticket
):
    target = open_ticket(mof_requester, printer_category, subject="Printers down")
    services.ticket_merge(duplicate=ticket, target=target, actor=mof_agent)
    html = signed_in_requester.get("/tickets/MOF-000001/").content.decode()
    assert "This ticket was merged into" in html
    assert f'<a href="/tickets/{target.reference}/">{target.reference}</a>' in html
    assert "This ticket is closed." in html
    assert 'action="/tickets/MOF-000001/reply/"' not in html


@pytest.mark.parametrize("outsider", ["moh_agent", "moh_head", "council_member"])
def test_it_answers_404_to_another_agencys_people(client, request, ticket, outsider):
    client.force_login(request.getfixturevalue(outsider))
    assert client.get("/tickets/MOF-000001/").status_code == 404


def test_it_answers_404_to_an_unrelated_requester(client, other_mof_requester, ticket):
    client.force_login(other_mof_requester)
    assert client.get("/tickets/MOF-000001/").status_code == 404
    assert client.get("/tickets/MOF-999999/").status_code == 404


def test_it_shows_a_followers_ticket_without_requester_actions(
    client, mof_requester, other_mof_requester, ticket
):
    services.ticket_watcher_add(ticket=ticket, email=other_mof_requester.email, actor=mof_requester)
    client.force_login(other_mof_requester)
    html = client.get("/tickets/MOF-000001/").content.decode()
    assert "Printer offline" in html
    assert "Close this ticket" not in html and "Add a colleague" not in html


def test_it_lets_a_former_agencys_agent_read_but_not_reply(
    client, mof_requester, mof_agent, ticket, nicta, nicta_email_team
):
    services.ticket_reply(
        ticket=ticket, author=mof_agent, body="Vendor contract expired.", internal=True,
        as_agent=True,
    )  # fmt: skip
    services.ticket_update(ticket=ticket, actor=mof_agent, status=Ticket.Status.RESOLVED)
    services.ticket_transfer(ticket=ticket, to_agency=nicta, reason="Mail fault", actor=mof_agent)
    client.force_login(mof_agent)
    response = client.get("/tickets/MOF-000001/")
    html = response.content.decode()
    assert "Vendor contract expired." in html
    assert "Another agency handles this ticket now." in html
    assert 'action="/tickets/MOF-000001/reply/"' not in html
    assert client.post("/tickets/MOF-000001/reply/", {"body": "Still?"}).status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED


def test_it_lets_a_follower_reply(client, mof_requester, other_mof_requester, ticket):
    services.ticket_watcher_add(ticket=ticket, email=other_mof_requester.email, actor=mof_requester)
    client.force_login(other_mof_requester)
    response = client.post("/tickets/MOF-000001/reply/", {"body": "Same here."})
    assert response.status_code == 302
    assert ticket.events.get(kind=TicketEvent.Kind.REPLY).actor == other_mof_requester


def test_it_shows_the_agent_panel_to_the_handling_agencys_agents(client, mof_agent, ticket):
    client.force_login(mof_agent)
    response = client.get("/tickets/MOF-000001/")
    assert response.context["works_ticket"] is True
    html = response.content.decode()
    assert "Work on this ticket" in html
    assert "Internal note (not shown to the requester)" in html
    assert "Close this ticket" not in html


def _add_events(ticket, requester, agent, count: int) -> None:
    for n in range(count):
        event = services.ticket_reply(
            ticket=ticket, author=agent if n % 2 else requester, body=f"Message {n}",
            as_agent=bool(n % 2), internal=n % 3 == 2 and bool(n % 2),
        )  # fmt: skip
        Attachment.objects.create(
            ticket=ticket, event=event, token=f"token-{ticket.pk}-{n}", file="x",
            name=f"file{n}.txt", content_type="text/plain", size=1, uploaded_by=requester,
            created_at=event.created_at,
        )  # fmt: skip


@pytest.mark.parametrize("events", [3, 30])
def test_it_shows_the_ticket_page_in_a_fixed_number_of_queries(
    signed_in_requester,
    mof_requester,
    mof_agent,
    other_mof_requester,
    ticket,
    events,
    django_assert_num_queries,
):
    _add_events(ticket, mof_requester, mof_agent, events)
    services.ticket_watcher_add(ticket=ticket, email=other_mof_requester.email, actor=mof_agent)
    # 1 session, 1 user, 1 memberships and 1 unread-notices count (header),
    # 1 ticket with agency, team, assignee,
    # requester, category and requester's agency, 1 events with their actors, 1 files of those
    # events, 1 followers.
    with django_assert_num_queries(8):
        response = signed_in_requester.get("/tickets/MOF-000001/")
    shown = response.content.decode().count('class="timeline-event')
    assert shown == ticket.events.filter(is_public=True).count()


def test_it_shows_an_agent_the_page_in_the_same_number_of_queries_for_3_or_30_entries(
    client, mof_requester, mof_agent, printer_category, open_ticket, mof_service_desk
):
    short = open_ticket(mof_requester, printer_category, subject="Short history")
    long = open_ticket(mof_requester, printer_category, subject="Long history")
    _add_events(short, mof_requester, mof_agent, 3)
    _add_events(long, mof_requester, mof_agent, 30)
    client.force_login(mof_agent)
    counts = []
    for ticket in (short, long):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/tickets/{ticket.reference}/")
        assert response.status_code == 200
        counts.append(len(queries))
    # Whatever the agent panel costs, it does not grow with the history.
    assert counts[0] == counts[1]


# -- Replying -------------------------------------------------------------------------------


def test_it_sends_a_requesters_reply(signed_in_requester, mof_requester, ticket):
    response = signed_in_requester.post(
        "/tickets/MOF-000001/reply/", {"body": "It also jams.", "internal": "on"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/tickets/MOF-000001/"
    reply = ticket.events.get(kind=TicketEvent.Kind.REPLY)
    assert (reply.actor, reply.body, reply.is_public) == (mof_requester, "It also jams.", True)
    page = signed_in_requester.get(response["Location"]).content.decode()
    assert "Your reply is sent." in page
    assert "It also jams." in page


def test_it_reopens_a_resolved_ticket_when_the_requester_replies(
    signed_in_requester, mof_agent, ticket
):
    services.ticket_update(ticket=ticket, actor=mof_agent, status=Ticket.Status.RESOLVED)
    page = signed_in_requester.get("/tickets/MOF-000001/").content.decode()
    assert "reply and it opens again" in page
    signed_in_requester.post("/tickets/MOF-000001/reply/", {"body": "Still broken."})
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN


def test_it_keeps_an_empty_reply_on_the_page_with_an_error(signed_in_requester, ticket):
    response = signed_in_requester.post("/tickets/MOF-000001/reply/", {"body": "  "})
    assert response.status_code == 200
    assert response.context["reply_form"].errors["body"] == ["Write a message first."]
    assert 'href="#reply_body"' in response.content.decode()
    assert not ticket.events.filter(kind=TicketEvent.Kind.REPLY).exists()


def test_it_attaches_files_to_a_reply(settings, signed_in_requester, ticket):
    signed_in_requester.post(
        "/tickets/MOF-000001/reply/",
        {"body": "Photo attached.", "attachments": [upload("jam.png", PNG)]},
    )
    attachment = Attachment.objects.get()
    assert attachment.event.kind == TicketEvent.Kind.REPLY
    html = signed_in_requester.get("/tickets/MOF-000001/").content.decode()
    assert f'href="/tickets/MOF-000001/attachments/{attachment.token}/"' in html
    assert "jam.png" in html


def test_it_refuses_an_svg_on_a_reply_and_keeps_the_message(settings, signed_in_requester, ticket):
    response = signed_in_requester.post(
        "/tickets/MOF-000001/reply/",
        {"body": "My drawing", "attachments": [upload("x.svg", b"<svg onload=alert(1)>")]},
    )
    assert response.status_code == 200
    assert "x.svg is a kind of file GovDesk does not accept" in response.content.decode()
    assert "My drawing</textarea>" in response.content.decode()
    assert not ticket.events.filter(kind=TicketEvent.Kind.REPLY).exists()
    assert stored_files(settings) == []


def test_it_saves_an_agents_internal_note(client, mof_agent, ticket):
    client.force_login(mof_agent)
    client.post("/tickets/MOF-000001/reply/", {"body": "Check the toner.", "internal": "on"})
    note = ticket.events.get(kind=TicketEvent.Kind.NOTE)
    assert (note.is_public, note.actor) == (False, mof_agent)
    ticket.refresh_from_db()
    assert ticket.first_response_at is None


def test_it_records_an_agents_public_reply_as_the_first_response(client, mof_agent, ticket):
    client.force_login(mof_agent)
    client.post("/tickets/MOF-000001/reply/", {"body": "On my way."})
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None
    assert ticket.status == Ticket.Status.OPEN


def test_it_explains_that_a_closed_ticket_takes_no_reply(signed_in_requester, ticket):
    services.ticket_close_by_requester(ticket=ticket, actor=ticket.requester)
    response = signed_in_requester.post("/tickets/MOF-000001/reply/", {"body": "Hello?"})
    assert response.status_code == 200
    assert "This ticket is closed. Report a new problem instead." in response.content.decode()


# -- Closing, reopening, following ----------------------------------------------------------


def test_it_closes_the_ticket_for_its_requester(signed_in_requester, ticket):
    response = signed_in_requester.post("/tickets/MOF-000001/close/", follow=True)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED
    html = response.content.decode()
    assert "MOF-000001 is closed." in html
    assert "Close this ticket" not in html


def test_it_lets_only_the_requester_close_the_ticket(
    client, mof_requester, other_mof_requester, ticket
):
    services.ticket_watcher_add(ticket=ticket, email=other_mof_requester.email, actor=mof_requester)
    client.force_login(other_mof_requester)
    assert client.post("/tickets/MOF-000001/close/").status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW


def test_it_reopens_a_resolved_ticket(signed_in_requester, mof_agent, ticket):
    services.ticket_update(ticket=ticket, actor=mof_agent, status=Ticket.Status.RESOLVED)
    page = signed_in_requester.get("/tickets/MOF-000001/").content.decode()
    assert "Reopen this ticket" in page
    response = signed_in_requester.post(
        "/tickets/MOF-000001/reopen/", {"reason": "It jams again."}, follow=True
    )
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    html = response.content.decode()
    assert "MOF-000001 is open again." in html
    assert "Reason: It jams again." in html


def test_it_explains_that_only_a_resolved_ticket_reopens(signed_in_requester, ticket):
    response = signed_in_requester.post("/tickets/MOF-000001/reopen/", follow=True)
    assert "Only a resolved ticket can be reopened." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW


def test_it_adds_a_colleague_as_a_follower(signed_in_requester, other_mof_requester, ticket):
    response = signed_in_requester.post(
        "/tickets/MOF-000001/watchers/", {"email": "Colleague@MOF.gov.test"}, follow=True
    )
    assert list(ticket.watchers.all()) == [other_mof_requester]
    html = response.content.decode()
    assert "Fatu Kamara now follows MOF-000001." in html
    assert "colleague@mof.gov.test now follows this ticket." in html


def test_it_explains_an_unknown_colleague_address(signed_in_requester, ticket):
    response = signed_in_requester.post(
        "/tickets/MOF-000001/watchers/", {"email": "nobody@mof.gov.test"}
    )
    assert response.status_code == 200
    assert response.context["watch_form"].errors["email"] == [
        "No one with the address nobody@mof.gov.test uses GovDesk."
    ]
    html = response.content.decode()
    assert 'href="#watch_email"' in html
    assert 'value="nobody@mof.gov.test"' in html
    assert not ticket.watchers.exists()


def test_it_refuses_a_malformed_colleague_address(signed_in_requester, ticket):
    response = signed_in_requester.post("/tickets/MOF-000001/watchers/", {"email": "awa@"})
    assert response.context["watch_form"].errors["email"] == [
        "Enter an e-mail address like name@agency.gov."
    ]


@pytest.mark.parametrize("action", ["reply", "close", "reopen", "watchers"])
@pytest.mark.parametrize("outsider", ["moh_agent", "other_mof_requester"])
def test_it_answers_404_to_outsiders_acting_on_a_ticket(client, request, ticket, action, outsider):
    client.force_login(request.getfixturevalue(outsider))
    response = client.post(
        f"/tickets/MOF-000001/{action}/", {"body": "x", "email": "agent@moh.gov.test"}
    )
    assert response.status_code == 404
    assert ticket.events.count() == 1
    assert not ticket.watchers.exists()


def test_it_answers_405_to_a_get_on_an_action(signed_in_requester, ticket):
    assert signed_in_requester.get("/tickets/MOF-000001/close/").status_code == 405
