"""Mail in: one raw message becomes a reply, a new ticket, or a record of why not.

`inbound_handle` is the one entry point, for IMAP polling (notifications.mailboxes) and for
messages piped to `manage.py receive_email`. It never raises on what a sender can put in a
message: every message is kept whole, as an InboundMessage, with what became of it.

1. Parse with the standard library, forgiving broken MIME and unknown character sets.
2. A Message-ID (else the same bytes) seen before: the first record answers, nothing is redone.
3. GovDesk's own mail coming back, automatic replies, lists and bounces: ignored, with a reason.
4. A reference in the subject ([MOF-000123]) or a thread id in In-Reply-To / References: a
   reply on that ticket, if the sender may reply to it.
5. Anything else: a new ticket for the sender in the mailbox's agency.
6. Whatever cannot be done (a stranger, a refused file, no category...) is quarantined, whole,
   with the reason; an admin may release it (`inbound_release`) or discard it.
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

import nh3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models import Q
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from accounts.models import User
from accounts.selectors import memberships_usable_by
from accounts.services import agency_for_email, user_join_by_email_domain
from agencies.models import Agency
from helpdesk.audit import audit_record
from notifications.models import InboundMailbox, InboundMessage
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
    thread_ids: list[str] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)

    def header(self, name: str) -> str:
        return _header(self.message, name)

    def headers(self) -> list[tuple[str, str]]:
        """Every header, decoded as well as it can be, for people to read."""
        if self.message is None:
            return []
        found = []
        for name, raw_value in self.message.raw_items():
            found.append((clean_text(name), _decode_header_value(raw_value, name)))
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
    parsed = ParsedMessage(raw=raw, message=message)
    parsed.defects = [type(defect).__name__ for defect in message.defects]
    parsed.message_id = _normalise_message_id(_header(message, "Message-ID"))
    parsed.sender_name, parsed.sender = _address(_header(message, "From"))
    parsed.subject = " ".join(_header(message, "Subject").split())[:300]
    references = _header(message, "In-Reply-To") + " " + _header(message, "References")
    parsed.thread_ids = _ANGLE_IDS.findall(references)
    parsed.text = _body_text(message)
    parsed.files = _files(message)
    return parsed


def _decode_header_value(raw_value, name: str = "X-Unknown") -> str:
    try:
        return clean_text(str(email.policy.default.header_fetch_parse(name, raw_value)))
    except Exception:  # noqa: BLE001 - a header the library cannot read: show it as it came
        return clean_text(str(raw_value))


def _header(message: EmailMessage | None, name: str) -> str:
    if message is None:
        return ""
    try:
        value = message.get(name)
    except Exception:  # noqa: BLE001 - malformed header: fall back to its raw text
        value = next((v for k, v in message.raw_items() if k.lower() == name.lower()), None)
        return _decode_header_value(value, name) if value is not None else ""
    return "" if value is None else clean_text(str(value)).strip()


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
        charset = part.get_content_charset() or "utf-8"
        codecs.lookup(charset)
    except (LookupError, ValueError, TypeError):
        return "utf-8"
    return charset


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
    text = clean_text(payload.decode(_charset(part), errors="replace"))
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
            # A multipart without its boundary: the payload is the text itself.
            return _part_text(message)[: TEXT_MAX_CHARS * 10]
    except Exception:
        logger.warning("Could not read the text of an inbound message", exc_info=True)
    return ""


def _files(message: EmailMessage) -> list[InboundFile]:
    files = []
    try:
        parts = list(message.iter_attachments()) if message.is_multipart() else []
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
        files.append(
            InboundFile(
                name=name or "attachment", content=content, content_type=part.get_content_type()
            )
        )
    return files


def strip_quoted(text: str) -> str:
    """The new words of a reply: no quoted history, no signature."""
    kept: list[str] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if line.rstrip("\n") in ("-- ", "--"):
            break
        if any(pattern.search(line) for pattern in _QUOTE_STARTS):
            break
        # "On <date>, <name>" with "<address> wrote:" wrapped onto the next line or two.
        if _WROTE_SPLIT.match(line) and any(
            _WROTE_END.match(n) for n in lines[index + 1 : index + 3]
        ):
            break
        if _OUTLOOK_HEADER.match(line) and _OUTLOOK_NEXT.match(following):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip()


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


def _text(parsed: ParsedMessage, note: str, has_files: bool) -> str:
    text = strip_quoted(parsed.text)
    if len(text) > TEXT_MAX_CHARS - 200:
        text = text[: TEXT_MAX_CHARS - 200].rstrip() + "\n[…shortened; the whole e-mail is kept]"
    if not text and has_files:
        text = "[Sent by e-mail with attachments only]"
    return "\n\n".join(part for part in (text, note) if part)


def _decide(parsed: ParsedMessage, mailbox: InboundMailbox | None, overlooked: set) -> Outcome:
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
    reference = "" if Reason.REPLY_NOT_ALLOWED in overlooked else _reference(parsed)
    if reference:
        ticket, as_agent = _ticket_for_reply(user, reference)
        if ticket is None:
            return _quarantined(
                Reason.REPLY_NOT_ALLOWED, f"{parsed.sender} may not reply to {reference}."
            )
        if not ticket.is_closed:
            return _reply(parsed, ticket, user, as_agent, overlooked)
        # A closed ticket takes no more replies: the message opens a new one that says so.
        return _open(parsed, mailbox, user, overlooked, follow_up=ticket)
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


def _reply(parsed, ticket, user, as_agent, overlooked) -> Outcome:
    if not strip_quoted(parsed.text) and not parsed.files:
        return _quarantined(Reason.NO_TEXT, "The reply has no new text and no attachments.")
    files, note, refused = _checked_files(parsed, overlooked)
    if refused:
        refused.ticket = ticket
        return refused
    body = _text(parsed, note, bool(files))
    event = ticket_attachments.ticket_reply_with_attachments(
        ticket=ticket, author=user, body=body, files=files, as_agent=as_agent
    )
    return Outcome(State.PROCESSED, ticket=event.ticket, event=event)


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
    if not strip_quoted(parsed.text) and not parsed.files:
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


def _decide_safely(parsed, mailbox, overlooked) -> Outcome:
    """`_decide` in a savepoint: whatever it wrote is undone if it does not finish."""
    try:
        with transaction.atomic():
            return _decide(parsed, mailbox, overlooked)
    except ValidationError as error:
        return _quarantined(Reason.REFUSED, " ".join(error.messages))
    except Exception as error:
        logger.exception("Inbound message could not be handled")
        return _quarantined(Reason.ERROR, f"GovDesk could not handle it ({type(error).__name__}).")


# -- Recording --------------------------------------------------------------------------------


def _lock_key(parsed: ParsedMessage, digest: str) -> int:
    key = (parsed.message_id or digest).encode("utf-8", "replace")
    return int.from_bytes(hashlib.sha256(b"inbound:" + key).digest()[:8], "big", signed=True)


def _already_recorded(parsed: ParsedMessage, digest: str) -> InboundMessage | None:
    seen = InboundMessage.objects.defer("raw")
    if parsed.message_id:
        return seen.filter(message_id=parsed.message_id).first()
    return seen.filter(message_id="", digest=digest).first()


def inbound_handle(raw: bytes, *, mailbox: InboundMailbox | None = None) -> InboundMessage:
    """Handles one raw message, in one transaction, and returns its record.

    A message seen before returns the first record, with `duplicate` set on it.
    """
    raw = bytes(raw)
    parsed = inbound_parse(raw)
    digest = hashlib.sha256(raw).hexdigest()
    with transaction.atomic():
        # Two pollers (or a poller and a pipe) given the same message take turns.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_key(parsed, digest)])
        if existing := _already_recorded(parsed, digest):
            existing.duplicate = True
            return existing
        outcome = _decide_safely(parsed, mailbox, set())
        record = InboundMessage.objects.create(
            mailbox=mailbox,
            message_id=parsed.message_id,
            digest=digest,
            sender=parsed.sender[:320],
            subject=parsed.subject[:300],
            received_at=timezone.now(),
            raw=raw,
            size=len(raw),
            state=outcome.state,
            reason_code=outcome.reason_code,
            reason=outcome.reason,
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
    outcome = _decide_safely(inbound_parse(bytes(message.raw)), mailbox, overlooked)
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
