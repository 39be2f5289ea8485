"""Pictures get a small preview on upload, stored beside the file and served through the
ticket's door; a picture with absurd dimensions gets none."""

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tickets.attachments import (
    PREVIEW_BOX,
    attachments_check,
    ticket_create_with_attachments,
    ticket_reply_with_attachments,
)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def picture(name="screen.png", size=(1600, 900), format_="PNG") -> SimpleUploadedFile:
    content = io.BytesIO()
    Image.new("RGB", size, "teal").save(content, format=format_)
    return SimpleUploadedFile(name, content.getvalue(), content_type="image/png")


def huge_png_header(width: int, height: int) -> bytes:
    """A valid small PNG that claims enormous dimensions: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@pytest.fixture
def report(mof_requester, mof, printer_category, mof_service_desk):
    def report(*uploads):
        return ticket_create_with_attachments(
            requester=mof_requester, requester_agency=mof, category=printer_category,
            subject="Error on screen", description="See the picture.", impact="low",
            urgency="low", files=attachments_check(list(uploads)),
        )  # fmt: skip

    return report


def test_it_makes_a_small_preview_beside_the_file(report):
    ticket = report(picture())
    attachment = ticket.attachments.get()
    assert (attachment.width, attachment.height) == (1600, 900)
    assert attachment.preview.name == f"{attachment.file.name}.preview.webp"
    with attachment.preview.open("rb") as stored, Image.open(stored) as preview:
        assert preview.format == "WEBP"
        assert max(preview.size) == max(PREVIEW_BOX)


def test_it_makes_no_preview_of_a_picture_with_absurd_dimensions(report):
    bomb = SimpleUploadedFile("bomb.png", huge_png_header(60_000, 60_000), "image/png")
    ticket = report(bomb)
    attachment = ticket.attachments.get()
    assert not attachment.preview
    assert attachment.width is None
    assert attachment.size == len(bomb)  # still attached, downloaded as it is


def test_it_makes_no_preview_of_a_damaged_picture(report):
    damaged = SimpleUploadedFile("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "image/png")
    assert not report(damaged).attachments.get().preview


def test_it_makes_no_preview_of_other_files(report):
    text = SimpleUploadedFile("log.txt", b"error 42", "text/plain")
    assert not report(text).attachments.get().preview


def test_it_shows_the_preview_and_the_dimensions_on_the_ticket(client, mof_requester, report):
    ticket = report(picture())
    attachment = ticket.attachments.get()
    client.force_login(mof_requester)
    html = client.get(f"/tickets/{ticket.reference}/").content.decode()
    preview_url = f"/tickets/{ticket.reference}/attachments/{attachment.token}/preview/"
    assert f'<img src="{preview_url}" alt="Preview of screen.png"' in html
    assert "1600 × 900 pixels" in html
    response = client.get(preview_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    b"".join(response.streaming_content)


def test_it_answers_404_for_a_preview_outside_the_door(client, moh_agent, report):
    ticket = report(picture())
    token = ticket.attachments.get().token
    client.force_login(moh_agent)
    assert (
        client.get(f"/tickets/{ticket.reference}/attachments/{token}/preview/").status_code == 404
    )


def test_it_keeps_a_notes_preview_from_the_requester(client, mof_requester, mof_agent, report):
    ticket = report()
    event = ticket_reply_with_attachments(
        ticket=ticket, author=mof_agent, body="Their screen", internal=True, as_agent=True,
        files=attachments_check([picture("internal.png")]),
    )  # fmt: skip
    token = event.attachments.get().token
    client.force_login(mof_requester)
    assert (
        client.get(f"/tickets/{ticket.reference}/attachments/{token}/preview/").status_code == 404
    )
    client.force_login(mof_agent)
    response = client.get(f"/tickets/{ticket.reference}/attachments/{token}/preview/")
    assert response.status_code == 200
    b"".join(response.streaming_content)
