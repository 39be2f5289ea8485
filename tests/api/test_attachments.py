"""Files through the API: the web's checks, 413 for a file too large, downloads by the door."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tickets.models import Attachment


def _upload(client, ticket, *files, **fields):
    return client.post(
        f"/api/v1/tickets/{ticket.reference}/attachments/",
        {"file": list(files), **fields},
        format="multipart",
    )


def test_it_attaches_a_file_and_serves_it_back(api, media, mof_ticket, mof_requester):
    client = api(mof_requester)

    response = _upload(
        client, mof_ticket, SimpleUploadedFile("error.txt", b"Error 41.2\n", "text/plain"),
        body="The error it shows",
    )  # fmt: skip

    assert response.status_code == 201
    event = response.json()
    assert event["body"] == "The error it shows"
    (attachment,) = event["attachments"]
    assert (attachment["name"], attachment["size"]) == ("error.txt", 11)
    download = client.get(attachment["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"Error 41.2\n"
    assert download["Content-Disposition"].startswith("attachment")
    assert "sandbox" in download["Content-Security-Policy"]


def test_it_answers_413_for_a_file_too_large(api, media, mof_ticket, mof_requester, settings):
    settings.ATTACHMENT_MAX_BYTES = 10

    response = _upload(
        api(mof_requester), mof_ticket, SimpleUploadedFile("big.txt", b"x" * 11, "text/plain")
    )

    assert response.status_code == 413
    assert "file" in response.json()
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("page.html", b"<html><script>alert(1)</script>", "text/html"),
        SimpleUploadedFile("fake.pdf", b"not a pdf at all", "application/pdf"),
        SimpleUploadedFile("empty.txt", b"", "text/plain"),
    ],
    ids=["html", "fake-pdf", "empty"],
)
def test_it_refuses_a_file_the_web_refuses(api, media, mof_ticket, mof_requester, upload):
    response = _upload(api(mof_requester), mof_ticket, upload)

    assert response.status_code == 400
    assert "file" in response.json()
    assert not Attachment.objects.exists()


def test_it_refuses_an_upload_without_a_file(api, media, mof_ticket, mof_requester):
    response = api(mof_requester).post(
        f"/api/v1/tickets/{mof_ticket.reference}/attachments/", {"body": "x"}, format="multipart"
    )

    assert response.status_code == 400
    assert "file" in response.json()


def test_it_hides_a_file_of_an_internal_note_from_the_requester(
    api, media, mof_ticket, mof_agent, mof_requester
):
    response = _upload(
        api(mof_agent), mof_ticket, SimpleUploadedFile("notes.txt", b"fuser", "text/plain"),
        internal="true",
    )  # fmt: skip
    url = response.json()["attachments"][0]["url"]

    assert api(mof_requester).get(url).status_code == 404
