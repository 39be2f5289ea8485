"""Mail in: one raw message becomes a reply, a new ticket, or a record of why not.

`inbound_handle` is the one entry point, for IMAP polling (mail.mailboxes) and for
messages piped to `manage.py receive_email`. It never raises on what a sender can put in a
message: every message is kept whole, as an InboundMessage, with what became of it.

1. Parse with the standard library, forgiving broken MIME and unknown character sets.
2. The same message seen before in this mailbox, from this sender, with this Message-ID and
   content: the first record answers, nothing is redone.
3. Check the sender once (`sender_check`): the trusted receiving server's
   Authentication-Results, and DKIM verified here. The verdict is kept for a release.
4. GovDesk's own mail coming back, automatic replies, lists and bounces: ignored, with a reason.
5. A reference in the subject ([MOF-000123]) or a thread id in In-Reply-To / References: a
   reply on that ticket, if the sender may reply to it, and as staff only if verified.
6. Anything else: a new ticket for the sender in the mailbox's agency.
7. Whatever cannot be done (a stranger, a refused file, a sender who fails its checks...) is
   quarantined, whole, with the reason; an admin may release it (`inbound_release`) or
   discard it.
"""

import codecs
import email
import email.policy
import hashlib
import html
import logging
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr

import dkim
import nh3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models import Q
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import memberships_usable_by
from accounts.services import agency_for_email, user_join_by_email_domain
from agencies.models import Agency
from core.audit import audit_record
from mail.models import InboundMailbox, InboundMessage
from tickets import attachments as ticket_attachments
from tickets import selectors as ticket_selectors
from tickets.models import Category, Ticket, TicketEvent

logger = logging.getLogger(__name__)

State = InboundMessage.State
Reason = InboundMessage.Reason

# Reasons a release overlooks; the others are tried again as they are (an admin may have
# added the missing category since, or the error may be fixed).
RELEASABLE = {
    Reason.UNKNOWN_SENDER,
    Reason.REPLY_NOT_ALLOWED,
    Reason.ATTACHMENT_REFUSED,
    Reason.TOO_LARGE,
    # The admin vouches for the sender, having asked them by other means.
    Reason.SENDER_NOT_VERIFIED,
}

TEXT_MAX_CHARS = 20000
_REFERENCE_IN_SUBJECT = re.compile(r"\[\s*([A-Za-z][A-Za-z0-9]{1,11}-\d{1,12})\s*\]")
_ANGLE_IDS = re.compile(r"<[^<>\s]+>")
_REPLY_PREFIXES = re.compile(r"^\s*((re|fw|fwd|aw|tr)\s*:\s*)+", re.IGNORECASE)
_NULL_SENDERS = {"mailer-daemon", "postmaster"}
_LIST_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
_REPORT_TYPES = {"message/delivery-status", "message/disposition-notification"}
# Where quoted history starts, in the clients people use (and in GovDesk's own e-mail).
_QUOTE_STARTS = [
    re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.IGNORECASE),
    re.compile(r"^\s*Le\b.{0,300}\ba écrit\s*:\s*$", re.IGNORECASE),
    re.compile(r"^\s*-{2,}\s*(Original Message|Message d'origine)\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^\s*_{10,}\s*$"),
    re.compile(r"Reply above this line", re.IGNORECASE),
]
# "On Mon, 3 Mar 2025 at 10:00, Musu Kollie <musu@mof.gov.lr>" / "wrote:" on the next line.
_WROTE_SPLIT = re.compile(r"^\s*(On|Le)\b.{0,300}$", re.IGNORECASE)
_WROTE_END = re.compile(r"^.{0,300}\b(wrote|a écrit)\s*:\s*$", re.IGNORECASE)
_OUTLOOK_HEADER = re.compile(r"^\s*\**(From|De)\s*:\**\s", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(r"^\s*\**(Sent|Date|Envoyé|To|À)\s*:", re.IGNORECASE)
# Where a forwarded message starts, whatever the subject says (Thunderbird, Gmail, Apple Mail).
_FORWARD_MARKERS = [
    re.compile(
        r"^\s*-{2,}\s*(Forwarded message|Message transféré|Weitergeleitete Nachricht)\s*-{2,}\s*$",
        re.IGNORECASE,
    ),
    re.compile(r"^\s*(Begin forwarded message|Début du message réexpédié)\s*:\s*$", re.IGNORECASE),
]
# Outlook marks a forward as it marks a reply; only the subject tells them apart.
_FORWARD_SUBJECT = re.compile(r"^\s*(\[[^\]]*\]\s*)*(fwd?|tr|wg)\s*:", re.IGNORECASE)
_OUTLOOK_SEPARATORS = [
    re.compile(r"^\s*-{2,}\s*(Original Message|Message d'origine)\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^\s*_{10,}\s*$"),
]
_FORWARD_HEADER = re.compile(
    r"^\s*\**\s*(From|De|Von|Date|Sent|Envoyé|Gesendet|To|À|An|Cc|Subject|Objet|Betreff|"
    r"Reply-To)\s*:\s*\**\s*(.*)$",
    re.IGNORECASE,
)
_FORWARD_SENDER_FIELDS = ("from", "de", "von")
_FORWARD_DATE_FIELDS = ("date", "sent", "envoyé", "gesendet")
# Detached signatures travel beside the text they sign; GovDesk keeps them with the e-mail.
_SIGNATURE_TYPES = {
    "application/pgp-signature",
    "application/pkcs7-signature",
    "application/x-pkcs7-signature",
}
_SIGNATURE_EXTENSIONS = {"p7s", "sig"}
_PGP_SIGNATURE_ARMOUR = b"-----BEGIN PGP SIGNATURE-----"
# A text file may carry tabs, line and page breaks; other control characters mean binary.
_BINARY_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_ESCAPED_8BIT = re.compile(r"[\udc80-\udcff]")
_BOUNDARY_LINE = re.compile(r"^--([0-9A-Za-z'()+_,./:=?-][^\r\n\"]{0,69}?)[ \t]*\r?$", re.MULTILINE)
_HTML_BREAKS = re.compile(r"<\s*(br|/p|/div|/li|/tr|/h[1-6]|/table|hr)\b[^>]*>", re.IGNORECASE)


# -- Parsing ----------------------------------------------------------------------------------


@dataclass
class InboundFile:
    name: str
    content: bytes
    content_type: str


@dataclass
class ParsedMessage:
    """What GovDesk reads from a message; every field has a value, however broken the input."""

    raw: bytes
    message: EmailMessage | None
    message_id: str = ""
    sender: str = ""
    sender_name: str = ""
    subject: str = ""
    text: str = ""
    files: list[InboundFile] = field(default_factory=list)
    # Detached signatures (.asc, .p7s): kept with the e-mail, never put on the ticket.
    signatures: list[InboundFile] = field(default_factory=list)
    thread_ids: list[str] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    # The character set the message declares, for header bytes sent without encoding.
    charset: str = ""

    def header(self, name: str) -> str:
        return _header(self.message, name, self.charset)

    def headers(self) -> list[tuple[str, str]]:
        """Every header, decoded as well as it can be, for people to read."""
        if self.message is None:
            return []
        found = []
        for name, raw_value in self.message.raw_items():
            found.append((clean_text(name), _decode_header_value(raw_value, name, self.charset)))
        return found


def clean_text(value: str) -> str:
    """Text PostgreSQL and templates accept: no NUL, no lone surrogates from 8-bit headers."""
    return value.encode("utf-8", "replace").decode("utf-8", "replace").replace("\x00", "")


def inbound_parse(raw: bytes) -> ParsedMessage:
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
    except Exception as error:  # noqa: BLE001 - a parser bug must not lose the message
        logger.warning("Unparseable inbound message: %r", error)
        return ParsedMessage(raw=raw, message=None, defects=[type(error).__name__])
    parsed = ParsedMessage(raw=raw, message=message, charset=_declared_charset(message))
    parsed.defects = [type(defect).__name__ for defect in message.defects]
    parsed.message_id = _normalise_message_id(parsed.header("Message-ID"))
    parsed.sender_name, parsed.sender = _address(parsed.header("From"))
    parsed.subject = " ".join(parsed.header("Subject").split())[:300]
    references = parsed.header("In-Reply-To") + " " + parsed.header("References")
    parsed.thread_ids = _ANGLE_IDS.findall(references)
    parsed.text = _body_text(message)
    parsed.files, parsed.signatures = _files(message)
    return parsed


def _valid_charset(charset: str | None) -> str:
    if not charset:
        return ""
    try:
        return codecs.lookup(charset).name
    except (LookupError, ValueError, TypeError):
        return ""


def _declared_charset(message: EmailMessage) -> str:
    """The first character set the message or one of its first text parts declares."""
    try:
        for count, part in enumerate(message.walk()):
            if count > 20:
                break
            if charset := _valid_charset(part.get_content_charset()):
                return charset
    except Exception:  # noqa: BLE001 - a broken structure declares nothing
        return ""
    return ""


def _unescape_8bit(value: str, charset: str) -> str:
    """Header bytes sent raw, without RFC 2047 encoding, decoded with the likeliest charset:
    UTF-8 if they are valid UTF-8 (other encodings rarely are), else the one the message
    declares, else Windows-1252, the usual superset of Latin-1 in such mail."""
    if not _ESCAPED_8BIT.search(value):
        return value
    data = value.encode("utf-8", "surrogateescape")
    for candidate in ("utf-8", charset, "cp1252"):
        if not candidate:
            continue
        try:
            return data.decode(candidate)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _decode_header_value(raw_value, name: str = "X-Unknown", charset: str = "") -> str:
    if isinstance(raw_value, str):
        raw_value = _unescape_8bit(raw_value, charset)
    try:
        return clean_text(str(email.policy.default.header_fetch_parse(name, raw_value)))
    except Exception:  # noqa: BLE001 - a header the library cannot read: show it as it came
        return clean_text(str(raw_value))


def _header(message: EmailMessage | None, name: str, charset: str = "") -> str:
    if message is None:
        return ""
    wanted = name.lower()
    value = next((v for k, v in message.raw_items() if k.lower() == wanted), None)
    return "" if value is None else _decode_header_value(value, name, charset).strip()


def _address(value: str) -> tuple[str, str]:
    for name, address in getaddresses([value]):
        address = address.strip().lower()
        if "@" in address.strip("@") and " " not in address:
            return name.strip(), address
    return "", ""


def _normalise_message_id(value: str) -> str:
    value = value.strip()
    found = _ANGLE_IDS.search(value)
    value = found.group(0) if found else "".join(value.split())
    if len(value) > 250:
        return "sha256:" + hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()
    return value


def _charset(part) -> str:
    try:
        return _valid_charset(part.get_content_charset()) or "utf-8"
    except (ValueError, TypeError):
        return "utf-8"


def _decode_text(payload: bytes, part) -> str:
    try:
        declared = part.get_content_charset()
    except (ValueError, TypeError):
        declared = None
    if not declared:
        # Nothing declared: UTF-8 if it is that, else the usual 8-bit Western encoding.
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError:
            return payload.decode("cp1252", errors="replace")
    return payload.decode(_charset(part), errors="replace")


def _part_text(part) -> str:
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - a broken transfer encoding: read what is there
        payload = part.get_payload()
    if payload is None:
        return ""
    if isinstance(payload, str):
        return clean_text(payload)
    if not isinstance(payload, bytes):
        return ""
    text = clean_text(_decode_text(payload, part))
    if part.get_content_type() == "text/html":
        return html_to_text(text)
    return text


def html_to_text(markup: str) -> str:
    """The words of an HTML body, without its markup, scripts, styles or quoted history."""
    markup = _HTML_BREAKS.sub("\n", markup)
    cleaned = nh3.clean(
        markup,
        tags=set(),
        attributes={},
        clean_content_tags={"script", "style", "head", "title", "blockquote"},
    )
    lines = [" ".join(line.split()) for line in html.unescape(cleaned).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _body_text(message: EmailMessage) -> str:
    try:
        body = message.get_body(preferencelist=("plain", "html"))
    except Exception:  # noqa: BLE001 - broken structure: look for text ourselves below
        body = None
    try:
        if body is not None:
            return _part_text(body)[: TEXT_MAX_CHARS * 10]
        for part in message.walk():
            if part.get_content_maintype() == "text":
                return _part_text(part)[: TEXT_MAX_CHARS * 10]
        if not message.is_multipart() or isinstance(message.get_payload(), str):
            if message.get_content_maintype() == "multipart":
                return _text_under_wrong_boundary(message)[: TEXT_MAX_CHARS * 10]
            return _part_text(message)[: TEXT_MAX_CHARS * 10]
    except Exception:
        logger.warning("Could not read the text of an inbound message", exc_info=True)
    return ""


def _text_under_wrong_boundary(message: EmailMessage) -> str:
    """A multipart whose parts use another boundary than the one declared: the text of the
    parts under the boundary they use, else the payload itself (no boundary at all). Only the
    text: files under a boundary the sender's program got wrong are not trusted to be whole."""
    payload = message.get_payload()
    if not isinstance(payload, str):
        return ""
    found = _BOUNDARY_LINE.search(payload)
    if found is None:
        return _part_text(message)
    boundary = found.group(1).removesuffix("--")
    head = f'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
    data = (head + payload).encode("utf-8", "surrogateescape")
    inner = email.message_from_bytes(data, policy=email.policy.default)
    body = inner.get_body(preferencelist=("plain", "html")) if inner.is_multipart() else None
    return _part_text(body) if body is not None else _part_text(message)


def _is_signature(part, name: str, content: bytes) -> bool:
    if part.get_content_type() in _SIGNATURE_TYPES:
        return True
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    if extension in _SIGNATURE_EXTENSIONS:
        return True
    # .asc is also a public key or an encrypted message: only a signature is set aside.
    return extension == "asc" and content.lstrip().startswith(_PGP_SIGNATURE_ARMOUR)


def _as_text_file(part, content: bytes) -> bytes | None:
    """The content as UTF-8 text if it is text in the charset it declares (else UTF-8, else
    Windows-1252); None if it is binary."""
    if not content or b"\x00" in content:
        return None
    try:
        declared = _valid_charset(part.get_content_charset())
    except (ValueError, TypeError):
        declared = ""
    for candidate in (declared, "utf-8", "cp1252"):
        if not candidate:
            continue
        try:
            text = content.decode(candidate)
        except UnicodeDecodeError:
            continue
        return None if _BINARY_CONTROLS.search(text) else text.encode("utf-8")
    return None


def _files(message: EmailMessage) -> tuple[list[InboundFile], list[InboundFile]]:
    """(the files for the ticket, the detached signatures kept only with the e-mail)."""
    files, signatures = [], []
    try:
        parts = list(message.iter_attachments()) if message.is_multipart() else []
        # A signed message's files are one level down, beside its signature.
        expanded = []
        for part in parts:
            if part.is_multipart() and part.get_content_subtype() in ("mixed", "signed"):
                expanded.extend(part.iter_attachments())
            else:
                expanded.append(part)
        parts = expanded
    except Exception:  # noqa: BLE001 - broken structure: no files rather than no message
        parts = []
    for part in parts:
        if part.is_multipart() or part.get_content_type() in _REPORT_TYPES:
            continue
        try:
            name = part.get_filename() or ""
        except Exception:  # noqa: BLE001
            name = ""
        try:
            content = part.get_payload(decode=True) or b""
        except Exception:  # noqa: BLE001
            content = b""
        if not name and part.get_content_maintype() == "text" and not content.strip():
            continue
        content_type = part.get_content_type()
        if _is_signature(part, name, content):
            signatures.append(InboundFile(name or "signature", content, content_type))
            continue
        if "." not in name.strip(". ") and (text := _as_text_file(part, content)) is not None:
            # A text file without an extension (README, a log): accepted as what it is.
            name, content, content_type = f"{name or 'attachment'}.txt", text, "text/plain"
        files.append(
            InboundFile(name=name or "attachment", content=content, content_type=content_type)
        )
    return files, signatures


def _quote_header_at(lines: list[str], index: int) -> bool:
    """Whether a reply's own quote header ("On ... wrote:", an Outlook block) starts here."""
    line = lines[index]
    if any(pattern.search(line) for pattern in _QUOTE_STARTS):
        return True
    # "On <date>, <name>" with "<address> wrote:" wrapped onto the next line or two.
    if _WROTE_SPLIT.match(line) and any(_WROTE_END.match(n) for n in lines[index + 1 : index + 3]):
        return True
    following = lines[index + 1] if index + 1 < len(lines) else ""
    return bool(_OUTLOOK_HEADER.match(line) and _OUTLOOK_NEXT.match(following))


def strip_quoted(text: str) -> str:
    """The new words of a reply: no quoted history, no signature."""
    kept: list[str] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for index, line in enumerate(lines):
        if line.rstrip("\n") in ("-- ", "--"):
            break
        if _quote_header_at(lines, index):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip()


@dataclass
class _ForwardBlock:
    end: int  # the first line after the forwarded message's header lines
    sender: str
    date: str


def _forward_at(lines: list[str], index: int, forward_subject: bool) -> _ForwardBlock | None:
    """The forwarded message's header block if one starts at this line."""
    line = lines[index]
    if line.lstrip().startswith(">"):
        return None
    if any(marker.match(line) for marker in _FORWARD_MARKERS):
        return _forward_headers(lines, index + 1, require_sender=False)
    if not forward_subject:
        return None
    if any(separator.search(line) for separator in _OUTLOOK_SEPARATORS):
        return _forward_headers(lines, index + 1, require_sender=True)
    following = lines[index + 1] if index + 1 < len(lines) else ""
    if _OUTLOOK_HEADER.match(line) and _OUTLOOK_NEXT.match(following):
        return _forward_headers(lines, index, require_sender=True)
    return None


def _forward_headers(lines: list[str], start: int, *, require_sender: bool) -> _ForwardBlock | None:
    index = start
    while index < len(lines) and not lines[index].strip() and index < start + 2:
        index += 1
    fields: dict[str, str] = {}
    while index < len(lines) and (found := _FORWARD_HEADER.match(lines[index])):
        fields.setdefault(found.group(1).lower(), " ".join(found.group(2).strip(" *").split()))
        index += 1
    sender = next((fields[f] for f in _FORWARD_SENDER_FIELDS if fields.get(f)), "")
    if require_sender and not sender:
        return None
    if not fields:
        index = start
    while index < len(lines) and not lines[index].strip():
        index += 1
    date = next((fields[f] for f in _FORWARD_DATE_FIELDS if fields.get(f)), "")
    return _ForwardBlock(end=index, sender=sender[:300], date=date[:100])


def _forward_note(block: _ForwardBlock) -> str:
    if block.sender and block.date:
        text = _("[Forwarded message from %(sender)s, sent %(date)s]")
        return text % {"sender": block.sender, "date": block.date}
    if block.sender:
        return _("[Forwarded message from %(sender)s]") % {"sender": block.sender}
    return _("[Forwarded message]")


def message_text(text: str, *, forward_subject: bool = False) -> str:
    """The words a message brings: a reply without its quoted history, a forward with all it
    forwards. Each forwarded message's header lines become one line naming its sender."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for index in range(len(lines)):
        if (block := _forward_at(lines, index, forward_subject)) is not None:
            own_words = strip_quoted("\n".join(lines[:index]))
            forwarded = _forwarded_text(lines, index, block, forward_subject)
            return "\n\n".join(part for part in (own_words, forwarded) if part)
        if _quote_header_at(lines, index):
            break  # a reply: forwards in its quoted history are history too
    return strip_quoted(text)


def _forwarded_text(lines, index, block, forward_subject) -> str:
    kept = [_forward_note(block)]
    index = block.end
    while index < len(lines):
        if (inner := _forward_at(lines, index, forward_subject)) is not None:
            kept += ["", _forward_note(inner)]
            index = inner.end
            continue
        kept.append(lines[index].rstrip())
        index += 1
    return "\n".join(kept).strip()


def inbound_text(parsed: ParsedMessage) -> str:
    """The text a message adds to a ticket."""
    return message_text(parsed.text, forward_subject=bool(_FORWARD_SUBJECT.match(parsed.subject)))


# -- The sender -------------------------------------------------------------------------------

SenderVerdict = InboundMessage.SenderCheck
# Results that say the sender is not who the From line claims.
_FAILING = {"fail", "softfail"}
_AR_COMMENT = re.compile(r"\([^()]*\)")
_AR_RESULT = re.compile(
    r"^([a-z0-9_-]+)(?:\s*/\s*\d+)?\s*=\s*([a-z]+)(.*)$", re.IGNORECASE | re.DOTALL
)
_AR_PROPERTY = re.compile(r'([a-z]+)\.([a-z0-9_.-]+)\s*=\s*("[^"]*"|[^\s;]+)', re.IGNORECASE)
DKIM_DNS_TIMEOUT = 5
DKIM_MAX_SIGNATURES = 3


@dataclass
class SenderCheck:
    verdict: str = SenderVerdict.UNKNOWN
    # What was found, for the reason a message is held and for the admin who reads it.
    detail: str = ""


@dataclass
class _Result:
    method: str
    result: str
    properties: dict[str, str]


class _DKIMLog(logging.LoggerAdapter):
    """dkimpy logs a missing key or a failing signature as an error; here it is a verdict,
    given with the message's record, and logged at most as information."""

    def log(self, level, msg, *args, **kwargs):
        super().log(min(level, logging.INFO), msg, *args, **kwargs)


_dkim_log = _DKIMLog(logging.getLogger(__name__ + ".dkim"), {})


def dkim_key_record(name: bytes, timeout: float) -> bytes | None:
    """The DKIM public key record published at `name`, from DNS."""
    return dkim.dnsplug.get_txt(name, timeout=timeout)


def _domain_of(value: str) -> str:
    return value.rpartition("@")[2].strip().strip(".").lower()


def _aligned(domain: str, from_domain: str) -> bool:
    """Relaxed alignment: the same domain, or one a subdomain of the other (as DMARC's
    organisational domain allows, without a public-suffix list)."""
    if not domain or not from_domain:
        return False
    return (
        domain == from_domain
        or from_domain.endswith("." + domain)
        or (domain.endswith("." + from_domain) and "." in from_domain)
    )


def _parse_authentication_results(value: str) -> tuple[str, list[_Result]] | None:
    """(authserv-id, results) of one Authentication-Results header (RFC 8601); None for one
    that cannot be read, which then counts for nothing."""
    text = value
    for _depth in range(5):
        text = _AR_COMMENT.sub(" ", text)
    if "(" in text or ")" in text:
        return None
    parts = [part.strip() for part in text.split(";")]
    head = parts[0].split()
    if not head:
        return None
    results = []
    for part in parts[1:]:
        if not (found := _AR_RESULT.match(part)):
            continue
        properties = {
            f"{ptype.lower()}.{name.lower()}": prop.strip('"').lower()
            for ptype, name, prop in _AR_PROPERTY.findall(found.group(3))
        }
        results.append(_Result(found.group(1).lower(), found.group(2).lower(), properties))
    return head[0].lower(), results


def _trusted_results(parsed: ParsedMessage, authserv_id: str) -> list[_Result]:
    """The results of every header the trusted server wrote, topmost first. The server
    removes headers that arrive claiming its name (RFC 8601, section 5); one that slipped
    through sits below the server's own, so the topmost result of each method is believed."""
    found: list[_Result] = []
    for name, raw_value in parsed.message.raw_items():
        if name.lower() != "authentication-results":
            continue
        read = _parse_authentication_results(_decode_header_value(raw_value, name, parsed.charset))
        if read is not None and read[0] == authserv_id.lower():
            found.extend(read[1])
    return found


def _method(results: list[_Result], method: str) -> _Result | None:
    """The topmost result of the method, unless any says the sender failed it."""
    of_method = [r for r in results if r.method == method]
    failing = [r for r in of_method if r.result in _FAILING]
    return (failing or of_method or [None])[0]


def _signed_domains(parsed: ParsedMessage) -> list[str]:
    domains = []
    for name, raw_value in parsed.message.raw_items():
        if name.lower() != "dkim-signature":
            continue
        # One entry per signature, readable or not: the index is the verifier's too.
        found = re.search(r"(?:^|;)\s*d\s*=\s*([^\s;]+)", str(raw_value))
        domains.append(found.group(1).lower().strip(".") if found else "")
    return domains


def _dkim_verify(parsed: ParsedMessage, from_domain: str) -> tuple[str, str]:
    """("pass" | "fail" | "", the signing domain or the failure) for the signatures of the
    sender's own domain, verified here. "" when there is none, or its key cannot be had."""
    signed = _signed_domains(parsed)
    indexes = [i for i, domain in enumerate(signed) if _aligned(domain, from_domain)]
    if not indexes:
        return "", ""
    try:
        verifier = dkim.DKIM(parsed.raw, timeout=DKIM_DNS_TIMEOUT, logger=_dkim_log)
    except Exception:  # noqa: BLE001 - a message the library cannot read is not verified
        return "", ""
    failure = ""
    for index in indexes[:DKIM_MAX_SIGNATURES]:
        keys_found = []

        def lookup(name, timeout=DKIM_DNS_TIMEOUT, keys_found=keys_found):
            try:
                record = dkim_key_record(name, timeout)
                if record is not None:
                    dkim.evaluate_pk(name, record)
            except (dkim.DKIMException, ValueError, TypeError):
                record = None
            keys_found.append(record is not None)
            return record

        try:
            verified = verifier.verify(idx=index, dnsfunc=lookup)
            error = ""
        except dkim.DKIMException as exception:
            verified, error = False, str(exception)
        except Exception:  # a library error is not the sender's failure
            logger.warning("DKIM verification failed unexpectedly", exc_info=True)
            continue
        if verified:
            return "pass", signed[index]
        if keys_found and all(keys_found):
            if "body hash mismatch" in error:
                why = _("its body was changed after it was signed")
            else:
                why = _("its signature does not match the message")
            failure = failure or _("the DKIM signature of %(domain)s does not verify: %(why)s") % {
                "domain": signed[index],
                "why": why,
            }
    return ("fail", failure) if failure else ("", "")


def sender_check(parsed: ParsedMessage) -> SenderCheck:
    """What the trusted receiving server and a DKIM check made here say of the sender.

    DMARC decides where the server gives it; else an aligned DKIM signature or SPF pass
    verifies the sender, and a failing SPF or DKIM fails them. Nothing known: unknown.
    """
    if parsed.message is None or not parsed.sender:
        return SenderCheck()
    from_domain = _domain_of(parsed.sender)
    authserv_id = settings.INBOUND_TRUSTED_AUTHSERV_ID
    results = _trusted_results(parsed, authserv_id) if authserv_id else []
    try:
        own_dkim, own_detail = _dkim_verify(parsed, from_domain)
    except Exception:  # a checker's bug must not lose the message
        logger.warning("Could not check the DKIM signatures of a message", exc_info=True)
        own_dkim, own_detail = "", ""
    at = {"server": authserv_id}
    dmarc = _method(results, "dmarc")
    if dmarc is not None and dmarc.result == "fail":
        return SenderCheck(SenderVerdict.FAILED, _("DMARC failed at %(server)s") % at)
    if dmarc is not None and dmarc.result == "pass":
        return SenderCheck(SenderVerdict.PASSED, _("DMARC passed at %(server)s") % at)
    if own_dkim == "pass":
        detail = _("the DKIM signature of %(domain)s verifies") % {"domain": own_detail}
        return SenderCheck(SenderVerdict.PASSED, detail)
    signed = _signed_domains(parsed)
    dkim_passed = [
        r
        for r in results
        if r.method == "dkim"
        and r.result == "pass"
        and _aligned(
            r.properties.get("header.d") or _domain_of(r.properties.get("header.i", "")),
            from_domain,
        )
        # A pass for a signature the message does not carry was not written by the server.
        and (r.properties.get("header.d") or _domain_of(r.properties.get("header.i", ""))) in signed
    ]
    if dkim_passed and own_dkim != "fail":
        return SenderCheck(SenderVerdict.PASSED, _("DKIM passed at %(server)s") % at)
    spf = _method(results, "spf")
    spf_domain = _domain_of(spf.properties.get("smtp.mailfrom", "")) if spf else ""
    if spf is not None and spf.result == "pass" and _aligned(spf_domain, from_domain):
        return SenderCheck(SenderVerdict.PASSED, _("SPF passed at %(server)s") % at)
    if own_dkim == "fail":
        return SenderCheck(SenderVerdict.FAILED, own_detail)
    dkim_result = _method(results, "dkim")
    if dkim_result is not None and dkim_result.result == "fail":
        return SenderCheck(SenderVerdict.FAILED, _("DKIM failed at %(server)s") % at)
    if spf is not None and spf.result in _FAILING:
        detail = _("SPF %(result)s at %(server)s, and no DKIM signature of %(domain)s passed")
        return SenderCheck(
            SenderVerdict.FAILED, detail % {**at, "result": spf.result, "domain": from_domain}
        )
    return SenderCheck()


def _unverified(parsed: ParsedMessage, check: SenderCheck, *, as_staff: bool) -> str:
    """Why the message may not act as it would: "" when it may."""
    if check.verdict == SenderVerdict.FAILED:
        if as_staff:
            text = _(
                "%(sender)s failed the sender checks (%(detail)s). GovDesk never acts as staff "
                "on such a message."
            )
        else:
            text = _(
                "%(sender)s failed the sender checks (%(detail)s). Release it only if you know "
                "they sent it."
            )
        return text % {"sender": parsed.sender, "detail": check.detail}
    authserv_id = settings.INBOUND_TRUSTED_AUTHSERV_ID
    if as_staff and authserv_id and check.verdict != SenderVerdict.PASSED:
        text = _(
            "%(sender)s writes as staff, but the message carries no passing result from "
            "%(server)s (DMARC, SPF or DKIM) and no DKIM signature GovDesk could verify."
        )
        return text % {"sender": parsed.sender, "server": authserv_id}
    return ""


# -- Deciding ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    state: str
    reason_code: str = ""
    reason: str = ""
    ticket: Ticket | None = None
    event: TicketEvent | None = None


def _ignored(code: str, reason: str) -> Outcome:
    return Outcome(State.IGNORED, code, reason)


def _quarantined(code: str, reason: str) -> Outcome:
    return Outcome(State.QUARANTINED, code, reason)


def _our_addresses() -> set[str]:
    ours = {parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()}
    ours |= set(InboundMailbox.objects.values_list("address", flat=True))
    return ours


def _own_message_pattern() -> re.Pattern:
    domain = re.escape(settings.GOVDESK_MAIL_DOMAIN)
    return re.compile(rf"^<ticket-[a-z][a-z0-9]{{1,11}}-\d+-\d+-\d+@{domain}>$", re.IGNORECASE)


def _thread_reference(thread_ids: list[str]) -> str:
    domain = re.escape(settings.GOVDESK_MAIL_DOMAIN)
    pattern = re.compile(
        rf"^<ticket-([a-z][a-z0-9]{{1,11}}-\d+)(?:-\d+-\d+)?@{domain}>$", re.IGNORECASE
    )
    for thread_id in thread_ids:
        if found := pattern.match(thread_id):
            return found.group(1).upper()
    return ""


def _loop_or_automatic(parsed: ParsedMessage) -> Outcome | None:
    """GovDesk's own mail coming back, or mail no person wrote: never answered."""
    own = _own_message_pattern()
    ours = _our_addresses()
    if own.match(parsed.message_id):
        return _ignored(Reason.LOOP, "Its Message-ID is one GovDesk gave a message it sent.")
    if parsed.sender and parsed.sender in ours:
        if parsed.header("X-GovDesk-Ticket") or any(own.match(i) for i in parsed.thread_ids):
            return _ignored(Reason.LOOP, "A GovDesk notification came back to GovDesk.")
        return _ignored(Reason.LOOP, f"Sent from GovDesk's own address {parsed.sender}.")
    auto_submitted = parsed.header("Auto-Submitted").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return _ignored(Reason.AUTO_REPLY, f"Auto-Submitted: {auto_submitted}.")
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        if parsed.header(name):
            return _ignored(Reason.AUTO_REPLY, f"It carries {name}: an automatic reply.")
    precedence = parsed.header("Precedence").lower()
    if precedence in _LIST_PRECEDENCE:
        return _ignored(Reason.AUTO_REPLY, f"Precedence: {precedence}.")
    for name in ("List-Id", "List-Unsubscribe"):
        if parsed.header(name):
            return _ignored(Reason.AUTO_REPLY, f"It carries {name}: mail from a mailing list.")
    return_path = parsed.header("Return-Path")
    if return_path.replace(" ", "") == "<>":
        return _ignored(Reason.BOUNCE, "It has a null sender (Return-Path: <>).")
    if parsed.sender.partition("@")[0] in _NULL_SENDERS:
        return _ignored(Reason.BOUNCE, f"Sent by {parsed.sender}: a mail server's report.")
    if _is_report(parsed):
        return _ignored(Reason.BOUNCE, "A delivery or read report.")
    return None


def _is_report(parsed: ParsedMessage) -> bool:
    if parsed.message is None:
        return False
    if parsed.header("X-Failed-Recipients"):
        return True
    try:
        if parsed.message.get_content_type() == "multipart/report":
            return True
        return any(part.get_content_type() in _REPORT_TYPES for part in parsed.message.walk())
    except Exception:  # noqa: BLE001 - a broken structure is not, by itself, a report
        return False


def _reference(parsed: ParsedMessage) -> str:
    """The ticket the message answers: from the subject, else from the thread headers."""
    for candidate in _REFERENCE_IN_SUBJECT.findall(parsed.subject):
        code = candidate.rpartition("-")[0].upper()
        # [ABC-123] from another system's subject line is not ours to answer.
        if Agency.objects.filter(code=code).exists():
            return candidate.upper()
    return _thread_reference(parsed.thread_ids)


def _checked_files(parsed: ParsedMessage, overlooked: set[str]) -> tuple[list, str, Outcome | None]:
    """(files that pass the ticket limits, a note of those left out, or the quarantine)."""
    if not parsed.files:
        return [], "", None
    if len(parsed.raw) > settings.INBOUND_MAX_MESSAGE_BYTES:
        if Reason.TOO_LARGE in overlooked:
            return [], _left_out([f.name for f in parsed.files]), None
        return (
            [],
            "",
            _quarantined(
                Reason.TOO_LARGE,
                f"The message is {filesizeformat(len(parsed.raw))}; GovDesk reads messages of at "
                f"most {filesizeformat(settings.INBOUND_MAX_MESSAGE_BYTES)}.",
            ),
        )
    uploads = [SimpleUploadedFile(f.name, f.content, f.content_type) for f in parsed.files]
    try:
        return ticket_attachments.attachments_check(uploads), "", None
    except ValidationError as error:
        if Reason.ATTACHMENT_REFUSED not in overlooked:
            return [], "", _quarantined(Reason.ATTACHMENT_REFUSED, " ".join(error.messages))
    # Released: keep each file that passes on its own, within the number allowed.
    kept, refused = [], []
    for upload in uploads:
        try:
            checked = ticket_attachments.attachment_check(upload)
        except ValidationError:
            refused.append(upload.name)
            continue
        if len(kept) < settings.ATTACHMENT_MAX_FILES:
            kept.append(checked)
        else:
            refused.append(checked.name)
    return kept, _left_out(refused), None


def _left_out(names: list[str]) -> str:
    if not names:
        return ""
    names = [ticket_attachments.attachment_clean_name(name) for name in names]
    return "[Attachments not accepted, kept with the e-mail: " + ", ".join(names) + "]"


def _text(parsed: ParsedMessage, note: str, has_files: bool, marker: str = "") -> str:
    text = inbound_text(parsed)
    if len(text) > TEXT_MAX_CHARS - 600:
        text = text[: TEXT_MAX_CHARS - 600].rstrip() + "\n[…shortened; the whole e-mail is kept]"
    if not text and has_files:
        text = "[Sent by e-mail with attachments only]"
    return "\n\n".join(part for part in (marker, text, note) if part)


def _held_sender(reason: str) -> Outcome:
    return _quarantined(Reason.SENDER_NOT_VERIFIED, reason)


def _decide(
    parsed: ParsedMessage, mailbox: InboundMailbox | None, overlooked: set, check: SenderCheck
) -> Outcome:
    if parsed.message is None:
        return _quarantined(Reason.ERROR, "The message could not be parsed at all.")
    if outcome := _loop_or_automatic(parsed):
        return outcome
    if not parsed.sender:
        return _quarantined(Reason.NO_SENDER, "The message has no sender address (From).")
    user = User.objects.filter(email__iexact=parsed.sender).first()
    if user is not None and not user.is_active:
        return _quarantined(
            Reason.INACTIVE_SENDER, f"{parsed.sender} has an account, but it is inactive."
        )
    if Reason.SENDER_NOT_VERIFIED in overlooked:
        check = SenderCheck(SenderVerdict.PASSED, check.detail)
    reference = "" if Reason.REPLY_NOT_ALLOWED in overlooked else _reference(parsed)
    if reference:
        ticket, as_agent = _ticket_for_reply(user, reference)
        if ticket is None:
            return _quarantined(
                Reason.REPLY_NOT_ALLOWED, f"{parsed.sender} may not reply to {reference}."
            )
        if not ticket.is_closed:
            return _reply(parsed, ticket, user, as_agent, overlooked, check)
        # A closed ticket takes no more replies: the message opens a new one that says so.
        if held := _unverified(parsed, check, as_staff=False):
            return _held_sender(held)
        return _open(parsed, mailbox, user, overlooked, follow_up=ticket)
    if held := _unverified(parsed, check, as_staff=False):
        return _held_sender(held)
    return _open(parsed, mailbox, user, overlooked)


def _ticket_for_reply(user: User | None, reference: str) -> tuple[Ticket | None, bool]:
    """The ticket, if the sender may reply to it, and whether they reply as its agent."""
    if user is None:
        return None, False
    found = None
    for membership in list(memberships_usable_by(user)) or [None]:
        try:
            ticket = ticket_selectors.ticket_get_for_user(user, membership, reference)
        except Http404:
            continue
        if ticket_selectors.user_works_ticket(membership, ticket):
            return ticket, True
        found = found or ticket
    if found is None:
        return None, False
    # Seeing a ticket their agency transferred away is not a right to answer on it.
    is_party = found.requester_id == user.pk or found.watchers.filter(pk=user.pk).exists()
    return (found, False) if is_party else (None, False)


def _reply(parsed, ticket, user, as_agent, overlooked, check: SenderCheck) -> Outcome:
    marker, accepted = "", Outcome(State.PROCESSED)
    if held := _unverified(parsed, check, as_staff=as_agent):
        if as_agent or not settings.INBOUND_ACCEPT_UNVERIFIED_REQUESTER_REPLIES:
            return _held_sender(held)
        # The installation takes such replies, marked, so that nobody takes them on trust.
        marker = _("[Sender not verified: %(detail)s]") % {"detail": check.detail}
        accepted = Outcome(
            State.PROCESSED,
            Reason.SENDER_NOT_VERIFIED,
            _("Added as a public reply marked “sender not verified”: %(detail)s.")
            % {"detail": check.detail},
        )
    if not inbound_text(parsed) and not parsed.files:
        return _quarantined(Reason.NO_TEXT, "The reply has no new text and no attachments.")
    files, note, refused = _checked_files(parsed, overlooked)
    if refused:
        refused.ticket = ticket
        return refused
    body = _text(parsed, note, bool(files), marker)
    event = ticket_attachments.ticket_reply_with_attachments(
        ticket=ticket, author=user, body=body, files=files, as_agent=as_agent
    )
    accepted.ticket, accepted.event = event.ticket, event
    return accepted


def _requester_agency(user: User | None, email_address: str, target: Agency | None):
    if user is None:
        return agency_for_email(email_address)
    agencies = [m.agency for m in memberships_usable_by(user) if m.agency_id]
    if target is not None and any(a.pk == target.pk for a in agencies):
        return target
    return agencies[0] if agencies else None


def _category(mailbox, target: Agency, requester_agency: Agency | None) -> Category | None:
    """The mailbox's chosen category, else the agency's first active one, else a
    government-wide one: the first that this requester may use and that lands at `target`."""
    requester_agency_id = getattr(requester_agency, "pk", None)

    def fits(category: Category) -> bool:
        usable = category.agency_id in (None, requester_agency_id)
        handled_by = category.handling_agency_id or requester_agency_id
        return category.is_active and usable and handled_by == target.pk

    chosen = mailbox.default_category if mailbox and mailbox.default_category_id else None
    if chosen is not None and fits(chosen):
        return chosen
    candidates = Category.objects.filter(is_active=True).filter(
        Q(agency=target)
        | Q(handling_agency=target)
        | Q(agency__isnull=True, handling_agency__isnull=True)
    )

    def rank(category: Category):
        own = 0 if category.agency_id == target.pk else 1
        handled = 0 if category.handling_agency_id == target.pk else 1
        return (own, handled, category.parent_id is not None, category.name, category.pk)

    return next((c for c in sorted(candidates, key=rank) if fits(c)), None)


def _open(parsed, mailbox, user, overlooked, follow_up: Ticket | None = None) -> Outcome:
    may_create = (mailbox is not None and mailbox.allow_new_requesters) or bool(
        overlooked & {Reason.UNKNOWN_SENDER, Reason.REPLY_NOT_ALLOWED}
    )
    if user is None and not may_create:
        return _quarantined(
            Reason.UNKNOWN_SENDER,
            f"{parsed.sender} has no GovDesk account, and this mailbox does not open tickets "
            "for people without one.",
        )
    requester_agency = _requester_agency(user, parsed.sender, mailbox.agency if mailbox else None)
    target = mailbox.agency if mailbox else requester_agency
    if target is None:
        return _quarantined(
            Reason.NO_CATEGORY,
            f"No agency to send it to: it came in without a mailbox, and {parsed.sender} "
            "belongs to no agency.",
        )
    category = _category(mailbox, target, requester_agency)
    if category is None:
        return _quarantined(
            Reason.NO_CATEGORY,
            f"{target.code} has no active category that {parsed.sender} may report under "
            f"and that {target.code} handles. Add one, then release the message.",
        )
    if not inbound_text(parsed) and not parsed.files:
        return _quarantined(Reason.NO_TEXT, "The message has no text and no attachments.")
    files, note, refused = _checked_files(parsed, overlooked)
    if refused:
        return refused
    if follow_up is not None:
        note = "\n\n".join(
            n for n in (note, f"[Follow-up to {follow_up.reference}, which is closed]") if n
        )
    description = _text(parsed, note, bool(files))
    if user is None:
        user = User.objects.create_user(email=parsed.sender, full_name=parsed.sender_name[:200])
        user_join_by_email_domain(user=user)
    ticket = ticket_attachments.ticket_create_with_attachments(
        files=files,
        requester=user,
        requester_agency=requester_agency,
        category=category,
        subject=_new_subject(parsed.subject, follow_up)[:200] or "(no subject)",
        description=description,
        impact=category.default_impact,
        urgency=category.default_urgency,
        channel=Ticket.Channel.EMAIL,
    )
    event = ticket.events.filter(kind=TicketEvent.Kind.CREATED).first()
    return Outcome(State.PROCESSED, ticket=ticket, event=event)


def _new_subject(subject: str, follow_up: Ticket | None) -> str:
    if follow_up is None:
        return subject
    subject = subject.replace(f"[{follow_up.reference}]", " ")
    return " ".join(_REPLY_PREFIXES.sub("", subject).split())


def _decide_safely(parsed, mailbox, overlooked, check: SenderCheck) -> Outcome:
    """`_decide` in a savepoint: whatever it wrote is undone if it does not finish."""
    try:
        with transaction.atomic():
            return _decide(parsed, mailbox, overlooked, check)
    except ValidationError as error:
        return _quarantined(Reason.REFUSED, " ".join(error.messages))
    except Exception as error:
        logger.exception("Inbound message could not be handled")
        return _quarantined(Reason.ERROR, f"GovDesk could not handle it ({type(error).__name__}).")


# -- Recording --------------------------------------------------------------------------------


def inbound_dedup_key(parsed: ParsedMessage, mailbox: InboundMailbox | None) -> str:
    """What makes two copies one message: the mailbox, the sender, the Message-ID, and a hash
    of the content (subject, date and body). The headers servers add on the way are left
    out, so a copy fetched again is still the same message; a stranger who borrows someone's
    Message-ID sends another message, and silences nobody."""
    raw = parsed.raw
    split = min((i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0), default=-1)
    body = raw[split:] if split >= 0 else raw
    body = body.replace(b"\r\n", b"\n").strip()
    content = hashlib.sha256()
    for part in (parsed.subject, parsed.header("Date")):
        content.update(part.encode("utf-8", "replace") + b"\x00")
    content.update(body)
    key = "\x00".join(
        [
            str(mailbox.pk) if mailbox else "-",
            parsed.sender,
            parsed.message_id,
            content.hexdigest() if parsed.message is not None else hashlib.sha256(raw).hexdigest(),
        ]
    )
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


def _lock_key(dedup_key: str) -> int:
    return int.from_bytes(
        hashlib.sha256(b"inbound:" + dedup_key.encode()).digest()[:8], "big", signed=True
    )


def _already_recorded(dedup_key: str) -> InboundMessage | None:
    return InboundMessage.objects.defer("raw").filter(dedup_key=dedup_key).first()


def inbound_handle(raw: bytes, *, mailbox: InboundMailbox | None = None) -> InboundMessage:
    """Handles one raw message, in one transaction, and returns its record.

    A message seen before returns the first record, with `duplicate` set on it.
    """
    raw = bytes(raw)
    parsed = inbound_parse(raw)
    digest = hashlib.sha256(raw).hexdigest()
    dedup_key = inbound_dedup_key(parsed, mailbox)
    if existing := _already_recorded(dedup_key):
        existing.duplicate = True
        return existing
    # Before the transaction: DNS may take seconds, and holds no lock meanwhile.
    check = sender_check(parsed)
    with transaction.atomic():
        # Two pollers (or a poller and a pipe) given the same message take turns.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_key(dedup_key)])
        if existing := _already_recorded(dedup_key):
            existing.duplicate = True
            return existing
        outcome = _decide_safely(parsed, mailbox, set(), check)
        record = InboundMessage.objects.create(
            mailbox=mailbox,
            message_id=parsed.message_id,
            digest=digest,
            dedup_key=dedup_key,
            sender=parsed.sender[:320],
            subject=parsed.subject[:300],
            received_at=timezone.now(),
            raw=raw,
            size=len(raw),
            state=outcome.state,
            reason_code=outcome.reason_code,
            reason=outcome.reason,
            sender_check=check.verdict,
            sender_check_detail=check.detail,
            ticket=outcome.ticket,
            event=outcome.event,
        )
    record.duplicate = False
    logger.info("Inbound message %s: %s %s", record.pk, record.state, record.reason)
    return record


@transaction.atomic
def inbound_release(*, message: InboundMessage, actor: User) -> InboundMessage:
    """Handles a quarantined message again, overlooking the reason that held it (a stranger
    becomes a requester; a refused file stays with the e-mail). If something else holds it,
    it stays quarantined with the new reason."""
    message = InboundMessage.objects.select_for_update().get(pk=message.pk)
    if message.state != State.QUARANTINED:
        raise ValidationError("Only a quarantined message can be released.")
    if message.reason_code == Reason.NO_SENDER:
        raise ValidationError("A message with no sender cannot become a ticket: discard it.")
    overlooked = set(message.released_reasons)
    if message.reason_code in RELEASABLE:
        overlooked.add(message.reason_code)
    mailbox = (
        InboundMailbox.objects.select_related("agency", "default_category").get(
            pk=message.mailbox_id
        )
        if message.mailbox_id
        else None
    )
    check = SenderCheck(message.sender_check, message.sender_check_detail)
    outcome = _decide_safely(inbound_parse(bytes(message.raw)), mailbox, overlooked, check)
    held_by = message.reason
    message.released_reasons = sorted(overlooked)
    if outcome.state == State.PROCESSED:
        message.state = State.RELEASED
    elif outcome.state == State.IGNORED:
        message.state = State.IGNORED
    message.reason_code, message.reason = outcome.reason_code, outcome.reason
    message.ticket, message.event = outcome.ticket, outcome.event
    message.handled_by, message.handled_at = actor, timezone.now()
    message.save(
        update_fields=[
            "state", "reason_code", "reason", "released_reasons", "ticket", "event",
            "handled_by", "handled_at",
        ]
    )  # fmt: skip
    audit_record(
        actor=actor,
        action="inbound.released",
        target=message,
        agency=mailbox.agency if mailbox else None,
        held_by=held_by,
        state=message.state,
        ticket=outcome.ticket.reference if outcome.ticket else None,
    )
    return message


@transaction.atomic
def inbound_discard(*, message: InboundMessage, actor: User) -> InboundMessage:
    """Sets a quarantined message aside for good; its bytes are kept."""
    message = InboundMessage.objects.select_for_update().get(pk=message.pk)
    if message.state != State.QUARANTINED:
        raise ValidationError("Only a quarantined message can be discarded.")
    message.state = State.DISCARDED
    message.handled_by, message.handled_at = actor, timezone.now()
    message.save(update_fields=["state", "handled_by", "handled_at"])
    audit_record(
        actor=actor,
        action="inbound.discarded",
        target=message,
        agency=message.mailbox.agency if message.mailbox_id else None,
        reason=message.reason,
    )
    return message
