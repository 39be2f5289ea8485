"""Messages for the mail-in tests: built, signed, and given a receiving server's headers."""

import base64
from email.message import EmailMessage
from email.utils import make_msgid

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
TRUSTED_AUTHSERV_ID = "mx.gov.test"


def mail(
    *,
    sender="Musu Kollie <requester@mof.gov.test>",
    to="help@mof.gov.test",
    subject="Printer offline",
    body="The printer on the second floor shows an error.\n",
    message_id=None,
    headers=None,
    attachments=(),
    html=None,
) -> bytes:
    message = EmailMessage()
    if sender:
        message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="mail.test")
    for name, value in (headers or {}).items():
        values = value if isinstance(value, list | tuple) else [value]
        for each in values:
            message[name] = each
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for name, content, mime_type in attachments:
        maintype, subtype = mime_type.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def with_headers(raw: bytes, *lines: str) -> bytes:
    """The message with header lines put on top, as a receiving server adds its own."""
    return "".join(f"{line}\r\n" for line in lines).encode() + raw


class DKIMKeys:
    """A domain's signing key and the TXT record that a DNS lookup would give for it."""

    def __init__(self):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.private_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        public = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)
        self.published: dict[bytes, bytes] = {}
        self.lookups: list[bytes] = []

    def publish(self, domain: str, selector: str = "govmail") -> None:
        self.published[f"{selector}._domainkey.{domain}.".encode()] = self.record

    def sign(self, raw: bytes, domain: str, selector: str = "govmail") -> bytes:
        self.publish(domain, selector)
        header = dkim.sign(
            raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"),
            selector.encode(),
            domain.encode(),
            self.private_pem,
            include_headers=[b"from", b"to", b"subject", b"message-id"],
        )
        return header + raw

    def lookup(self, name: bytes, timeout: float = 5) -> bytes | None:
        self.lookups.append(name)
        return self.published.get(name)
