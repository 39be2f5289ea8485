"""Mail in: good mail that used to be held for its form, now read as the sender meant it."""

import pytest
from django.urls import reverse

from accounts.models import User
from mail.inbound import inbound_handle, inbound_parse
from mail.models import InboundMessage
from tests.notifications.inbound_mail import mail
from tickets.models import Attachment

State = InboundMessage.State
Reason = InboundMessage.Reason
pytest_plugins = ["tests.notifications.inbound_fixtures"]
pytestmark = pytest.mark.usefixtures("inbound_media")

PGP_SIGNED = (
    b"From: requester@mof.gov.test\r\nTo: help@mof.gov.test\r\nSubject: Printer offline\r\n"
    b"Message-ID: <pgp@mail.test>\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: multipart/signed; micalg=pgp-sha256;\r\n"
    b' protocol="application/pgp-signature"; boundary="SIG"\r\n\r\n'
    b"--SIG\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe printer jams.\r\n"
    b'--SIG\r\nContent-Type: application/pgp-signature; name="signature.asc"\r\n'
    b"Content-Description: OpenPGP digital signature\r\n"
    b'Content-Disposition: attachment; filename="signature.asc"\r\n\r\n'
    b"-----BEGIN PGP SIGNATURE-----\r\n\r\niQEzBAEBCAAdFiEE\r\n=abcd\r\n"
    b"-----END PGP SIGNATURE-----\r\n--SIG--\r\n"
)
SMIME_SIGNED = (
    b"From: requester@mof.gov.test\r\nTo: help@mof.gov.test\r\nSubject: Printer offline\r\n"
    b"Message-ID: <smime@mail.test>\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/signed; protocol="application/pkcs7-signature";\r\n'
    b' micalg=sha-256; boundary="SIG"\r\n\r\n'
    b'--SIG\r\nContent-Type: multipart/mixed; boundary="IN"\r\n\r\n'
    b"--IN\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe printer jams.\r\n"
    b'--IN\r\nContent-Type: text/plain; name="error.log"\r\n'
    b'Content-Disposition: attachment; filename="error.log"\r\n\r\nerror 42\r\n--IN--\r\n'
    b'--SIG\r\nContent-Type: application/pkcs7-signature; name="smime.p7s"\r\n'
    b"Content-Transfer-Encoding: base64\r\n"
    b'Content-Disposition: attachment; filename="smime.p7s"\r\n\r\n'
    b"MIAGCSqGSIb3DQEHAqCAMIACAQExDzANBglghkgBZQMEAgEFADCABgkqhkiG9w0BBwEAAA==\r\n"
    b"--SIG--\r\n"
)


def stored(attachment) -> bytes:
    with attachment.file.open("rb") as file:
        return file.read()


# -- Detached signatures --------------------------------------------------------------------


def test_it_accepts_pgp_signed_mail_keeping_the_signature_with_the_email(mailbox, mof_requester):
    record = inbound_handle(PGP_SIGNED, mailbox=mailbox)
    assert record.state == State.PROCESSED
    assert record.ticket.description == "The printer jams."
    assert not Attachment.objects.exists()
    parsed = inbound_parse(PGP_SIGNED)
    assert [part.name for part in parsed.signatures] == ["signature.asc"]
    assert parsed.files == []


def test_it_accepts_smime_signed_mail_with_its_other_files(mailbox, mof_requester):
    record = inbound_handle(SMIME_SIGNED, mailbox=mailbox)
    assert record.state == State.PROCESSED
    assert list(Attachment.objects.values_list("name", flat=True)) == ["error.log"]
    assert [part.name for part in inbound_parse(SMIME_SIGNED).signatures] == ["smime.p7s"]


def test_it_accepts_a_detached_signature_sent_as_a_plain_attachment(mailbox, mof_requester):
    raw = mail(
        attachments=[
            ("report.pdf.sig", b"\x89\x01\x33binary signature", "application/octet-stream"),
            ("notes.asc", b"-----BEGIN PGP SIGNATURE-----\nx\n", "application/octet-stream"),
        ]
    )
    record = inbound_handle(raw, mailbox=mailbox)
    assert record.state == State.PROCESSED
    assert not Attachment.objects.exists()


def test_it_lists_signature_parts_on_the_message_page(client, platform_admin, mailbox):
    record = inbound_handle(PGP_SIGNED.replace(b"requester@", b"visitor@"), mailbox=mailbox)
    client.force_login(platform_admin)
    page = client.get(reverse("inbound_message", args=[record.pk])).content.decode()
    assert "Signatures" in page
    assert "signature.asc" in page


# -- Text attachments without an extension --------------------------------------------------


def test_it_accepts_a_text_attachment_without_an_extension(mailbox, mof_requester):
    raw = mail(attachments=[("README", b"Restart the spooler first.\n", "text/plain")])
    record = inbound_handle(raw, mailbox=mailbox)
    assert record.state == State.PROCESSED
    attachment = Attachment.objects.get()
    assert attachment.name == "README.txt"
    assert stored(attachment) == b"Restart the spooler first.\n"


def test_it_accepts_an_unnamed_octet_stream_whose_content_is_text(mailbox, mof_requester):
    raw = mail(attachments=[("", b"error 42 at 10:00\n", "application/octet-stream")])
    record = inbound_handle(raw, mailbox=mailbox)
    assert record.state == State.PROCESSED
    assert Attachment.objects.get().name == "attachment.txt"


def test_it_stores_a_latin_1_text_attachment_as_utf_8(mailbox, mof_requester):
    raw = (
        b"From: requester@mof.gov.test\r\nSubject: Log\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/plain\r\n\r\nSee the log.\r\n"
        b"--B\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
        b'Content-Disposition: attachment; filename="journal"\r\n'
        b"Content-Transfer-Encoding: 8bit\r\n\r\nCaf\xe9 ferm\xe9\r\n--B--\r\n"
    )
    record = inbound_handle(raw, mailbox=mailbox)
    assert record.state == State.PROCESSED
    attachment = Attachment.objects.get()
    assert attachment.name == "journal.txt"
    assert stored(attachment).decode() == "Café fermé"


def test_it_still_holds_a_binary_file_without_an_extension(mailbox, mof_requester):
    raw = mail(attachments=[("payload", b"MZ\x90\x00\x03\x00\x00\x00", "application/octet-stream")])
    record = inbound_handle(raw, mailbox=mailbox)
    assert (record.state, record.reason_code) == (State.QUARANTINED, Reason.ATTACHMENT_REFUSED)


def test_it_still_holds_markup_without_an_extension(mailbox, mof_requester):
    raw = mail(attachments=[("page", b"<html><script>x()</script></html>", "text/html")])
    assert inbound_handle(raw, mailbox=mailbox).reason_code == Reason.ATTACHMENT_REFUSED


# -- 8-bit headers --------------------------------------------------------------------------


def raw_8bit(subject: bytes, *, sender=b"requester@mof.gov.test", charset=b"") -> bytes:
    declared = b"; charset=" + charset if charset else b""
    return (
        b"From: " + sender + b"\r\nSubject: " + subject + b"\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain" + declared + b"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        b"Le caf\xe9 est ferm\xe9.\r\n"
    )


def test_it_decodes_an_8_bit_subject_with_the_declared_charset(mailbox, mof_requester):
    record = inbound_handle(raw_8bit(b"Caf\xe9 ferm\xe9", charset=b"iso-8859-1"), mailbox=mailbox)
    assert record.subject == "Café fermé"
    assert record.ticket.subject == "Café fermé"
    assert record.ticket.description == "Le café est fermé."


def test_it_decodes_an_8_bit_subject_with_the_most_likely_charset(mailbox, mof_requester):
    assert inbound_handle(raw_8bit(b"Caf\xe9 \x96 ferm\xe9"), mailbox=mailbox).subject == (
        "Café – fermé"
    )


def test_it_decodes_an_8_bit_utf_8_subject_whatever_the_body_declares(mailbox, mof_requester):
    raw = raw_8bit("Café fermé".encode(), charset=b"iso-8859-1")
    assert inbound_handle(raw, mailbox=mailbox).subject == "Café fermé"


def test_it_decodes_an_8_bit_sender_name(mailbox):
    mailbox.allow_new_requesters = True
    mailbox.save(update_fields=["allow_new_requesters"])
    raw = raw_8bit(b"Printer", sender=b"Ren\xe9e Tubman <renee@mof.gov.test>", charset=b"latin-1")
    inbound_handle(raw, mailbox=mailbox)
    assert User.objects.get(email="renee@mof.gov.test").full_name == "Renée Tubman"


def test_it_shows_8_bit_headers_decoded_on_the_message_page(client, platform_admin, mailbox):
    raw = raw_8bit(b"Caf\xe9 ferm\xe9", sender=b"visitor@example.test", charset=b"iso-8859-1")
    record = inbound_handle(raw, mailbox=mailbox)
    client.force_login(platform_admin)
    page = client.get(reverse("inbound_message", args=[record.pk])).content.decode()
    assert "Café fermé" in page
    assert "\ufffd" not in page


# -- A wrong MIME boundary ------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"--BBB\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe scanner jams.\r\n--BBB--\r\n",
        b"This is a multi-part message in MIME format.\r\n--BBB\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        b"The scanner jams.\r\n--BBB\r\nContent-Type: text/html\r\n\r\n<p>The scanner</p>\r\n"
        b"--BBB\r\nContent-Type: application/pdf; name=x.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--BBB--\r\n",
        b"--BBB\r\nContent-Type: text/html\r\n\r\n<p>The scanner jams.</p>\r\n--BBB--\r\n",
    ],
    ids=["plain", "alternatives-and-a-file", "html-only"],
)
def test_it_reads_only_the_text_under_a_wrong_boundary(mailbox, mof_requester, body):
    raw = (
        b"From: requester@mof.gov.test\r\nSubject: Wrong boundary\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="AAA"\r\n\r\n' + body
    )
    record = inbound_handle(raw, mailbox=mailbox)
    assert record.state == State.PROCESSED
    assert record.ticket.description == "The scanner jams."
    assert not Attachment.objects.exists()
