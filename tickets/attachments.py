"""Files attached to ticket messages: what is accepted, and how it is stored.

A file is judged by its content, not only its name: the extension must be one GovDesk accepts
and the first bytes must be those of that kind of file. Nothing that a browser could run
(HTML, SVG, scripts, executables) is accepted, and downloads are served as attachments with
a sandboxing policy besides (tickets.views.portal.attachment_download).

Storing happens in the same transaction as the ticket change the files belong to; the files
written to storage are removed again if that transaction fails.
"""

import io
import re
import secrets
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from PIL import Image, ImageOps

from accounts.models import User
from tickets import services
from tickets.models import Attachment, Ticket, TicketEvent

NAME_MAX_LENGTH = 120
# Previews fit in this box; pictures of more pixels than this get none.
PREVIEW_BOX = (320, 320)
PREVIEW_MAX_SOURCE_PIXELS = 40_000_000
PREVIEWED_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
_EXTENSION_MAX_LENGTH = 10
_UNSAFE_NAME_CHARACTERS = re.compile(r'[\\/:*?"<>|]')
_WHITESPACE = re.compile(r"\s+")
# What makes a "text" file something else a browser would happily run or draw.
_MARKUP_STARTS = ("<!doctype", "<html", "<head", "<body", "<svg", "<?xml", "<script", "<iframe")

_SIGNATURES: dict[str, Callable[[bytes], bool]] = {
    "png": lambda head: head.startswith(b"\x89PNG\r\n\x1a\n"),
    "jpeg": lambda head: head.startswith(b"\xff\xd8\xff"),
    "gif": lambda head: head[:6] in (b"GIF87a", b"GIF89a"),
    "webp": lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP",
    "pdf": lambda head: head.startswith(b"%PDF-"),
    "zip": lambda head: head.startswith(b"PK\x03\x04"),
    "ole2": lambda head: head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"),
}

# Extension: (kind of content it must hold, the content type it is served with).
ACCEPTED_EXTENSIONS: dict[str, tuple[str, str]] = {
    "png": ("png", "image/png"),
    "jpg": ("jpeg", "image/jpeg"),
    "jpeg": ("jpeg", "image/jpeg"),
    "gif": ("gif", "image/gif"),
    "webp": ("webp", "image/webp"),
    "pdf": ("pdf", "application/pdf"),
    "docx": (
        "zip",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "xlsx": ("zip", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pptx": (
        "zip",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    "odt": ("zip", "application/vnd.oasis.opendocument.text"),
    "ods": ("zip", "application/vnd.oasis.opendocument.spreadsheet"),
    "zip": ("zip", "application/zip"),
    "doc": ("ole2", "application/msword"),
    "xls": ("ole2", "application/vnd.ms-excel"),
    "ppt": ("ole2", "application/vnd.ms-powerpoint"),
    "txt": ("text", "text/plain"),
    "log": ("text", "text/plain"),
    "csv": ("text", "text/csv"),
}


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed the checks, with the name and type it will be stored under."""

    upload: UploadedFile
    name: str
    content_type: str


def accepted_extensions() -> list[str]:
    return sorted(f".{extension}" for extension in ACCEPTED_EXTENSIONS)


def attachment_clean_name(name: str) -> str:
    """A file name safe to store and to offer back in a download.

    Keeps the last path part only, drops control and formatting characters (a right-to-left
    override can make "exe.txt" look like "txt.exe"), replaces the characters file systems
    refuse, and shortens the name while keeping its extension.
    """
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _WHITESPACE.sub(" ", name)
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = _UNSAFE_NAME_CHARACTERS.sub("_", name).strip(" .")
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension) > _EXTENSION_MAX_LENGTH or not extension.strip():
        stem, extension = name, ""
    room = NAME_MAX_LENGTH - (len(extension) + 1 if extension else 0)
    stem = stem[:room].rstrip(" .") or "attachment"
    return f"{stem}.{extension}" if extension else stem


def _extension(name: str) -> str:
    return name.rpartition(".")[2].lower() if "." in name else ""


def _is_plain_text(content: bytes) -> bool:
    if b"\x00" in content:
        return False
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return not text.lstrip().lower().startswith(_MARKUP_STARTS)


def _is_zip(upload: UploadedFile) -> bool:
    upload.seek(0)
    try:
        return zipfile.is_zipfile(upload)
    finally:
        upload.seek(0)


def attachment_check(upload: UploadedFile) -> CheckedFile:
    """The upload with its clean name and content type; ValidationError naming the file if
    it is empty, too large, or not a kind of file GovDesk accepts."""
    name = attachment_clean_name(upload.name or "")
    if not upload.size:
        raise ValidationError(_("%(name)s is empty.") % {"name": name}, code="empty")
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("%(name)s is %(size)s: each file may be at most %(limit)s.")
            % {"name": name, "size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            code="too_large",
        )
    extension = _extension(name)
    if extension not in ACCEPTED_EXTENSIONS:
        raise ValidationError(
            _(
                "%(name)s is a kind of file GovDesk does not accept. Attach pictures (PNG, "
                "JPEG, GIF, WEBP), PDF, Office documents, ZIP or plain text files."
            )
            % {"name": name},
            code="type_not_accepted",
        )
    kind, content_type = ACCEPTED_EXTENSIONS[extension]
    upload.seek(0)
    if kind == "text":
        matches = _is_plain_text(upload.read())
    else:
        matches = _SIGNATURES[kind](upload.read(16)) and (kind != "zip" or _is_zip(upload))
    upload.seek(0)
    if not matches:
        raise ValidationError(
            _("%(name)s is not really a .%(extension)s file, or it is damaged.")
            % {"name": name, "extension": extension},
            code="content_mismatch",
        )
    return CheckedFile(upload=upload, name=name, content_type=content_type)


def attachments_check(uploads: Iterable[UploadedFile]) -> list[CheckedFile]:
    """Every upload checked; one ValidationError listing each refused file."""
    uploads = list(uploads)
    most = settings.ATTACHMENT_MAX_FILES
    if len(uploads) > most:
        raise ValidationError(
            ngettext(
                "Attach at most %(count)d file. You chose %(chosen)d.",
                "Attach at most %(count)d files. You chose %(chosen)d.",
                most,
            )
            % {"count": most, "chosen": len(uploads)},
            code="too_many",
        )
    checked, errors = [], []
    for upload in uploads:
        try:
            checked.append(attachment_check(upload))
        except ValidationError as error:
            errors.append(error)
    if errors:
        raise ValidationError(errors)
    return checked


@transaction.atomic
def attachments_save(
    *, ticket: Ticket, event: TicketEvent, files: list[CheckedFile], uploaded_by: User
) -> list[Attachment]:
    """Stores checked files on one event of the ticket."""
    saved: list[Attachment] = []
    try:
        for checked in files:
            attachment = Attachment(
                ticket=ticket,
                event=event,
                token=secrets.token_urlsafe(24),
                name=checked.name,
                content_type=checked.content_type,
                size=checked.upload.size,
                uploaded_by=uploaded_by,
                created_at=timezone.now(),
            )
            # The stored name comes from the model's upload_to: the token, never the upload's.
            attachment.file.save(attachment.token, checked.upload, save=False)
            saved.append(attachment)
            if checked.content_type in PREVIEWED_TYPES:
                attachment_preview_make(attachment, checked.upload)
            attachment.save()
    except BaseException:
        _remove_stored(saved)
        raise
    return saved


def _remove_stored(attachments: list[Attachment]) -> None:
    for attachment in attachments:
        for stored in (attachment.file, attachment.preview):
            if stored.name:
                stored.storage.delete(stored.name)


def attachment_preview_make(attachment: Attachment, upload: UploadedFile) -> bool:
    """Draws a small preview of a picture beside its file, and notes its dimensions.

    A picture that is damaged, or whose dimensions are absurd (a small file can claim
    100,000 x 100,000 pixels and take gigabytes to decode), gets no preview: it is still
    attached and downloaded as it is. Only the header is read before that check.
    """
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                width, height = image.size
                if width * height > PREVIEW_MAX_SOURCE_PIXELS:
                    return False
                image.seek(0)  # the first frame of an animation
                image.draft("RGB", PREVIEW_BOX)  # a JPEG decodes straight to a smaller size
                preview = ImageOps.exif_transpose(image)
                preview.thumbnail(PREVIEW_BOX)
                if preview.mode not in ("RGB", "RGBA"):
                    preview = preview.convert("RGBA" if "transparency" in image.info else "RGB")
                content = io.BytesIO()
                preview.save(content, format="WEBP", quality=80)
    except (OSError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        return False
    finally:
        upload.seek(0)
    attachment.width, attachment.height = width, height
    attachment.preview.save(
        f"{attachment.file.name}.preview.webp", ContentFile(content.getvalue()), save=False
    )
    return True


def ticket_create_with_attachments(*, files: list[CheckedFile], **fields) -> Ticket:
    """services.ticket_create, then the files on its "reported" event, all or nothing."""
    saved: list[Attachment] = []

    def store_files(ticket: Ticket, created: TicketEvent) -> None:
        # Before the ticket takes its number: the agency's counter is not held while the
        # files are written.
        saved.extend(
            attachments_save(
                ticket=ticket,
                event=created,
                files=files,
                uploaded_by=fields.get("logged_by") or fields["requester"],
            )
        )

    try:
        # ticket_create's own transaction holds the files too: they are stored inside it.
        ticket = services.ticket_create(**fields, before_numbering=store_files if files else None)
    except BaseException:
        _remove_stored(saved)
        raise
    return ticket


def ticket_reply_with_attachments(
    *,
    ticket: Ticket,
    author: User,
    body: str,
    files: list[CheckedFile],
    internal: bool = False,
    as_agent: bool = False,
    minutes: int | None = None,
) -> TicketEvent:
    """services.ticket_reply, then the files on the reply or note, all or nothing."""
    saved: list[Attachment] = []
    try:
        with transaction.atomic():
            event = services.ticket_reply(
                ticket=ticket,
                author=author,
                body=body,
                internal=internal,
                as_agent=as_agent,
                minutes=minutes,
            )
            if files:
                saved = attachments_save(
                    ticket=event.ticket, event=event, files=files, uploaded_by=author
                )
    except BaseException:
        _remove_stored(saved)
        raise
    return event
