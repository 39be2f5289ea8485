"""Attachments: judged by content, stored under a random name, served only through the door."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from tickets import services
from tickets.attachments import (
    attachment_check,
    attachment_clean_name,
    attachments_check,
    attachments_save,
    ticket_create_with_attachments,
)
from tickets.models import Attachment, Ticket, TicketEvent

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
GIF = b"GIF89a\x01\x00\x01\x00" + b"\x00" * 16
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 24
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'
HTML = b"<!DOCTYPE html><html><script>alert(1)</script></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56


def _zip(**members: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


DOCX = _zip(**{"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


# -- Checking -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("screen.png", PNG, "image/png"),
        ("photo.JPG", JPEG, "image/jpeg"),
        ("photo.jpeg", JPEG, "image/jpeg"),
        ("spinner.gif", GIF, "image/gif"),
        ("shot.webp", WEBP, "image/webp"),
        ("invoice.pdf", PDF, "application/pdf"),
        (
            "letter.docx",
            DOCX,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("budget.ods", DOCX, "application/vnd.oasis.opendocument.spreadsheet"),
        ("logs.zip", DOCX, "application/zip"),
        ("old.doc", OLE2, "application/msword"),
        ("old.xls", OLE2, "application/vnd.ms-excel"),
        ("error.txt", "Erreur réseau à 9 h\n".encode(), "text/plain"),
        ("server.log", b"2026-01-01 ERROR disk full\n", "text/plain"),
        ("staff.csv", b"name,grade\nAwa,7\n", "text/csv"),
    ],
)
def test_it_accepts_the_kinds_of_file_people_attach(name, content, content_type):
    checked = attachment_check(upload(name, content))
    assert (checked.name, checked.content_type) == (name, content_type)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("drawing.svg", SVG),
        ("page.html", HTML),
        ("page.htm", HTML),
        ("setup.exe", EXE),
        ("run.sh", b"#!/bin/sh\nrm -rf /\n"),
        ("no-extension", PNG),
    ],
)
def test_it_refuses_kinds_of_file_a_browser_could_run(name, content):
    with pytest.raises(ValidationError) as refused:
        attachment_check(upload(name, content))
    assert refused.value.code == "type_not_accepted"
    assert name in refused.value.messages[0]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("drawing.png", SVG),  # an SVG under a picture's name
        ("page.pdf", HTML),
        ("setup.pdf", EXE),
        ("page.txt", HTML),  # markup under a text file's name
        ("drawing.txt", SVG),
        ("binary.txt", b"abc\x00def"),
        ("latin1.csv", "café".encode("latin-1")),
        ("fake.docx", b"PK\x03\x04 but not really a zip"),
        ("fake.doc", PDF),
        ("picture.jpg", PNG),
    ],
)
def test_it_checks_the_content_not_only_the_name(name, content):
    with pytest.raises(ValidationError) as refused:
        attachment_check(upload(name, content))
    assert refused.value.code == "content_mismatch"
    assert name in refused.value.messages[0]


def test_it_refuses_an_empty_file():
    with pytest.raises(ValidationError, match=r"notes\.txt is empty"):
        attachment_check(upload("notes.txt", b""))


def test_it_refuses_a_file_over_the_size_limit(settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    with pytest.raises(ValidationError) as refused:
        attachment_check(upload("big.pdf", PDF + b"\x00" * 1024))
    assert refused.value.code == "too_large"
    assert "big.pdf" in refused.value.messages[0]


def test_it_refuses_too_many_files(settings):
    settings.ATTACHMENT_MAX_FILES = 2
    with pytest.raises(ValidationError, match="at most 2 files"):
        attachments_check([upload(f"{n}.png", PNG) for n in range(3)])


def test_it_names_every_refused_file_at_once():
    with pytest.raises(ValidationError) as refused:
        attachments_check([upload("a.svg", SVG), upload("ok.png", PNG), upload("b.exe", EXE)])
    messages = refused.value.messages
    assert len(messages) == 2
    assert "a.svg" in messages[0] and "b.exe" in messages[1]


@pytest.mark.parametrize(
    ("name", "clean"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\awa\\Desktop\\report.pdf", "report.pdf"),
        ("report\u202efdp.exe", "reportfdp.exe"),  # a right-to-left override disguising .exe
        ("tab\tand\nnewline.txt", "tab and newline.txt"),
        ('what?"<is>|this*.png', "what___is__this_.png"),
        ("...hidden.txt", "hidden.txt"),
        ("", "attachment"),
        ("   .png", "png"),
        ("a" * 300 + ".docx", "a" * 115 + ".docx"),
        ("Café Überweisung.pdf", "Café Überweisung.pdf"),
    ],
)
def test_it_cleans_file_names(name, clean):
    assert attachment_clean_name(name) == clean


# -- Storing --------------------------------------------------------------------------------


def test_it_stores_files_under_a_random_name_on_the_reported_event(
    settings, mof_requester, mof, printer_category
):
    ticket = ticket_create_with_attachments(
        requester=mof_requester,
        requester_agency=mof,
        category=printer_category,
        subject="Printer offline",
        description="It shows an error.",
        impact="low",
        urgency="medium",
        files=attachments_check([upload("../error.png", PNG)]),
    )
    attachment = Attachment.objects.get()
    assert attachment.event.kind == TicketEvent.Kind.CREATED
    assert (attachment.ticket, attachment.uploaded_by) == (ticket, mof_requester)
    assert (attachment.name, attachment.content_type, attachment.size) == (
        "error.png",
        "image/png",
        len(PNG),
    )
    assert len(attachment.token) == 32
    assert attachment.file.name == f"attachments/{mof.pk}/{ticket.pk}/{attachment.token}"
    assert [path.read_bytes() for path in stored_files(settings)] == [PNG]


def test_it_stores_nothing_when_the_ticket_is_refused(settings, mof_requester, payroll_category):
    with pytest.raises(ValidationError):
        ticket_create_with_attachments(
            requester=mof_requester,
            requester_agency=None,  # payroll is MOF's own service
            category=payroll_category,
            subject="Payslip",
            description="Wrong grade.",
            impact="low",
            urgency="low",
            files=attachments_check([upload("slip.pdf", PDF)]),
        )
    assert not Ticket.objects.exists()
    assert stored_files(settings) == []


def test_it_removes_stored_files_when_saving_fails(
    settings, mof_requester, printer_category, open_ticket
):
    ticket = open_ticket(mof_requester, printer_category)
    # An event never saved: the file is written first, then its row cannot be.
    unsaved = TicketEvent(ticket=ticket, kind=TicketEvent.Kind.REPLY)
    with pytest.raises(ValueError, match="unsaved related object"):
        attachments_save(
            ticket=ticket,
            event=unsaved,
            files=attachments_check([upload("a.png", PNG)]),
            uploaded_by=mof_requester,
        )
    assert not Attachment.objects.exists()
    assert stored_files(settings) == []


# -- Downloading ----------------------------------------------------------------------------


@pytest.fixture
def ticket_with_files(mof_requester, mof_agent, printer_category, open_ticket):
    """A ticket with a public file from the requester and a file on an agent's internal note."""
    ticket = open_ticket(mof_requester, printer_category)
    created = ticket.events.get(kind=TicketEvent.Kind.CREATED)
    (public,) = attachments_save(
        ticket=ticket,
        event=created,
        files=attachments_check([upload("error log.txt", b"E-042 paper jam\n")]),
        uploaded_by=mof_requester,
    )
    note = services.ticket_reply(
        ticket=ticket, author=mof_agent, body="Known fault.", internal=True, as_agent=True
    )
    (internal,) = attachments_save(
        ticket=ticket,
        event=note,
        files=attachments_check([upload("vendor.pdf", PDF)]),
        uploaded_by=mof_agent,
    )
    return ticket, public, internal


def _download(client, ticket, attachment):
    return client.get(f"/tickets/{ticket.reference}/attachments/{attachment.token}/")


def _body(response) -> bytes:
    # Reading to the end lets the test client close the file (and only the file).
    return b"".join(response.streaming_content)


def test_it_serves_a_file_as_a_download_that_runs_nothing(client, mof_requester, ticket_with_files):
    ticket, public, _ = ticket_with_files
    client.force_login(mof_requester)
    response = _download(client, ticket, public)
    assert response.status_code == 200
    assert _body(response) == b"E-042 paper jam\n"
    assert response["Content-Disposition"] == 'attachment; filename="error log.txt"'
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    # django-csp writes the directives in no fixed order.
    assert set(response["Content-Security-Policy"].split("; ")) == {"default-src 'none'", "sandbox"}
    assert "no-store" in response["Cache-Control"]


def test_it_serves_a_non_ascii_name_encoded(client, mof_requester, printer_category, open_ticket):
    ticket = open_ticket(mof_requester, printer_category)
    (attachment,) = attachments_save(
        ticket=ticket,
        event=ticket.events.get(kind=TicketEvent.Kind.CREATED),
        files=attachments_check([upload("reçu.pdf", PDF)]),
        uploaded_by=mof_requester,
    )
    client.force_login(mof_requester)
    response = _download(client, ticket, attachment)
    _body(response)
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''re%C3%A7u.pdf"


def test_it_serves_internal_files_to_the_agency_only(
    client, mof_requester, mof_agent, ticket_with_files
):
    ticket, _, internal = ticket_with_files
    client.force_login(mof_agent)
    response = _download(client, ticket, internal)
    assert response.status_code == 200
    assert _body(response) == PDF
    client.force_login(mof_requester)
    assert _download(client, ticket, internal).status_code == 404


@pytest.mark.parametrize("outsider", ["moh_agent", "moh_head", "council_member"])
def test_it_answers_404_to_outsiders(client, request, ticket_with_files, outsider):
    ticket, public, _ = ticket_with_files
    client.force_login(request.getfixturevalue(outsider))
    assert _download(client, ticket, public).status_code == 404


def test_it_answers_404_to_another_requester_of_the_same_agency(client, mof, ticket_with_files):
    from accounts.models import Role
    from tests.factories import MembershipFactory, UserFactory

    colleague = UserFactory(email="colleague@mof.gov.test")
    MembershipFactory(user=colleague, agency=mof, role=Role.REQUESTER)
    ticket, public, _ = ticket_with_files
    client.force_login(colleague)
    assert _download(client, ticket, public).status_code == 404


def test_it_answers_404_for_a_token_of_another_ticket(
    client, mof_requester, printer_category, open_ticket, ticket_with_files
):
    ticket, public, _ = ticket_with_files
    other = open_ticket(mof_requester, printer_category, subject="Another")
    client.force_login(mof_requester)
    assert _download(client, other, public).status_code == 404
    response = client.get(f"/tickets/{ticket.reference}/attachments/not-a-token/")
    assert response.status_code == 404


def test_it_sends_the_signed_out_to_sign_in(client, ticket_with_files):
    ticket, public, _ = ticket_with_files
    response = _download(client, ticket, public)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
