"""Everything GovDesk holds about one person, as one zip of JSON and CSV (and their files).

The named sections follow the person's tickets wherever they were transferred. Every other
model that points at the person is walked too, so a new app's records (survey answers, text
messages) are included without a change here. Nothing of anyone else goes in: other people
are never named, only their role ("staff") where a message came from them.
"""

import csv
import io
import json
import zipfile
from datetime import date, datetime
from decimal import Decimal

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Membership
from notifications.models import Notice
from privacy.models import AccessLogEntry
from tickets.models import Attachment, Ticket, TicketEvent, TicketTransfer

# Models shown in their own sections, or holding nothing the person gave or is owed: keys,
# digests, the audit trail of staff work, configuration history, data protection's own records.
SECTION_MODELS = {
    "accounts.User",
    "accounts.Membership",
    "tickets.Ticket",
    "tickets.TicketEvent",
    "tickets.TicketTransfer",
    "tickets.Attachment",
    "notifications.Notice",
    "privacy.AccessLogEntry",
}
SKIPPED_APPS = {"privacy"}
SKIPPED_MODELS = {
    "core.IdempotencyKey",
    "core.AuditEntry",
    "core.PendingWork",
    "accounts.ApiToken",
    "mail.InboundMailbox",
    "webhooks.WebhookEndpoint",
}
SECRET_WORDS = ("password", "secret", "digest", "key", "token")
PROJECT_APPS = {
    "accounts",
    "agencies",
    "channels",
    "core",
    "incidents",
    "knowledge",
    "mail",
    "notifications",
    "privacy",
    "reports",
    "satisfaction",
    "service_levels",
    "tickets",
    "webhooks",
    "workspace",
}
MESSAGE_KINDS = (TicketEvent.Kind.CREATED, TicketEvent.Kind.REPLY, TicketEvent.Kind.NOTE)


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return None
    return value


def _tickets_of(person) -> models.QuerySet:
    return (
        Ticket.objects.filter(Q(requester=person) | Q(watchers=person))
        .distinct()
        .select_related("agency", "requester_agency", "category")
        .order_by("created_at", "pk")
    )


def _ticket_row(ticket: Ticket, person) -> dict:
    return {
        "reference": ticket.reference,
        "you_are": "requester" if ticket.requester_id == person.pk else "watcher",
        "subject": ticket.subject,
        "description": ticket.description if ticket.requester_id == person.pk else "",
        "status": ticket.status,
        "priority": ticket.priority,
        "channel": ticket.channel,
        "category": ticket.category.name,
        "handled_by_agency": ticket.agency.code,
        "created_at": _plain(ticket.created_at),
        "resolved_at": _plain(ticket.resolved_at),
        "closed_at": _plain(ticket.closed_at),
    }


def _generic_rows(person) -> dict[str, list[dict]]:
    """Rows of every other model that points at the person, with only their own links."""
    user_model = get_user_model()
    sections: dict[str, list[dict]] = {}
    for model in apps.get_models():
        label = model._meta.label
        if (
            model._meta.app_label not in PROJECT_APPS
            or model._meta.app_label in SKIPPED_APPS
            or label in SECTION_MODELS | SKIPPED_MODELS
        ):
            continue
        links = [
            f
            for f in model._meta.concrete_fields
            if f.is_relation and f.related_model is user_model
        ]
        if not links:
            continue
        condition = Q()
        for link in links:
            condition |= Q(**{link.name: person})
        rows = []
        for obj in model.objects.filter(condition).order_by("pk"):
            row = {}
            for field in model._meta.concrete_fields:
                if isinstance(field, models.BinaryField | SearchVectorField):
                    continue
                if any(word in field.name for word in SECRET_WORDS):
                    continue
                if field.is_relation and field.related_model is user_model:
                    if getattr(obj, field.attname) == person.pk:
                        row[field.name] = "you"
                    continue
                value = getattr(obj, field.attname)
                if isinstance(field, models.FileField):
                    value = value.name if value else ""
                row[field.name] = _plain(value)
            rows.append(row)
        if rows:
            sections[label] = rows
    return sections


def person_data_collect(person) -> tuple[dict[str, list[dict]], list[Attachment]]:
    """The person's data by section, and the files to include."""
    tickets = list(_tickets_of(person))
    ticket_ids = [t.pk for t in tickets]
    requested_ids = [t.pk for t in tickets if t.requester_id == person.pk]
    sections: dict[str, list[dict]] = {
        "account": [
            {
                "email": person.email,
                "full_name": person.full_name,
                "preferred_language": person.preferred_language,
                "date_joined": _plain(person.date_joined),
                "last_login": _plain(person.last_login),
                "is_active": person.is_active,
            }
        ],
        "memberships": [
            {
                "agency": m.agency.code if m.agency_id else "",
                "role": m.role,
                "since": _plain(m.created_at),
            }
            for m in Membership.objects.filter(user=person).select_related("agency")
        ],
        "tickets": [_ticket_row(t, person) for t in tickets],
    }
    references = {t.pk: t.reference for t in tickets}
    sections["transfers"] = [
        {
            "ticket": references[t.ticket_id],
            "from_agency": t.from_agency.code,
            "to_agency": t.to_agency.code,
            "at": _plain(t.created_at),
        }
        for t in TicketTransfer.objects.filter(ticket_id__in=requested_ids)
        .select_related("from_agency", "to_agency")
        .order_by("created_at")
    ]
    events = (
        TicketEvent.objects.filter(
            Q(ticket_id__in=requested_ids, is_public=True, kind__in=MESSAGE_KINDS)
            | Q(actor=person, kind__in=MESSAGE_KINDS)
        )
        .select_related("ticket")
        .order_by("created_at", "pk")
    )
    sections["messages"] = [
        {
            "ticket": e.ticket.reference,
            "from": "you" if e.actor_id == person.pk else "staff",
            "kind": e.kind,
            "public": e.is_public,
            "body": e.body,
            "at": _plain(e.created_at),
        }
        for e in events
    ]
    event_ids = [e.pk for e in events]
    attachments = list(
        Attachment.objects.filter(
            Q(event_id__in=event_ids, ticket_id__in=ticket_ids) | Q(uploaded_by=person)
        )
        .select_related("ticket")
        .order_by("pk")
    )
    sections["attachments"] = [
        {
            "ticket": a.ticket.reference,
            "name": a.name,
            "content_type": a.content_type,
            "file": f"files/{a.token}-{a.name}",
        }
        for a in attachments
    ]
    sections["notices"] = [
        {"kind": n.kind, "text": n.text, "at": _plain(n.created_at), "read": bool(n.read_at)}
        for n in Notice.objects.filter(user=person).order_by("created_at", "pk")
    ]
    sections["reads_of_your_data"] = [
        {
            "at": _plain(entry.at),
            "what": entry.kind,
            "record": entry.ticket.reference if entry.ticket_id else "",
            "reader_role": entry.role,
            "agency": entry.agency.code if entry.agency_id else "",
        }
        for entry in AccessLogEntry.objects.filter(subject=person).select_related(
            "ticket", "agency"
        )
    ]
    for label, rows in _generic_rows(person).items():
        sections[label] = rows
    return sections, attachments


def _csv(rows: list[dict]) -> str:
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                key: json.dumps(value) if isinstance(value, dict | list) else value
                for key, value in row.items()
            }
        )
    return out.getvalue()


def person_export_archive(person) -> bytes:
    """The zip: data.json with every section, one CSV per section, and files/."""
    sections, attachments = person_data_collect(person)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "data.json",
            json.dumps(
                {"exported_at": timezone.now().isoformat(), **sections},
                indent=2,
                ensure_ascii=False,
                default=str,
            ),
        )
        for name, rows in sections.items():
            if rows:
                archive.writestr(f"{name}.csv", _csv(rows))
        for attachment in attachments:
            try:
                with attachment.file.open("rb") as handle:
                    archive.writestr(f"files/{attachment.token}-{attachment.name}", handle.read())
            except (OSError, ValueError):
                continue
    return buffer.getvalue()
