"""Data protection's writes: retention, legal holds, erasure and the redaction of a message.

Ticket events and the access log are append-only in the database. The services here that must
pseudonymise them declare it for their own transaction (`SET LOCAL govdesk.erasure`), which
the triggers allow and which ends with the transaction.
"""

import contextlib
import logging
import re
from datetime import timedelta

import phonenumbers
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership
from accounts.permissions import platform_admins_q
from agencies.models import Agency
from core.audit import audit_record
from mail.models import InboundMessage, Outbox
from privacy.models import (
    DEFAULT_RETENTION_DAYS,
    MINIMUM_RETENTION_DAYS,
    AccessLogEntry,
    Erasure,
    LegalHold,
    RetentionMark,
    RetentionPolicy,
)
from tickets.models import Attachment, Ticket, TicketEvent
from tickets.services import ticket_search_rebuild

logger = logging.getLogger(__name__)

ERASED = "[erased]"
REMOVED = "[removed]"
RETENTION_BATCH = 200
# Message kinds whose body is free text someone wrote.
MESSAGE_KINDS = (TicketEvent.Kind.CREATED, TicketEvent.Kind.REPLY, TicketEvent.Kind.NOTE)


class DataProtectionError(Exception):
    """A request the rules refuse; the message says why, for the person who asked."""


def _allow_history_changes() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL govdesk.erasure = 'on'")


def _delete_file(field) -> int:
    if not field:
        return 0
    try:
        field.storage.delete(field.name)
    except OSError:
        logger.warning("Could not delete stored file %s", field.name)
        return 0
    return 1


def _attachments_delete(attachments) -> int:
    """Deletes the files (and previews) from storage after the rows are gone for good."""
    attachments = list(attachments)
    if not attachments:
        return 0
    files = [(a.file, getattr(a, "preview", None)) for a in attachments]
    Attachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()

    def delete_files():
        for file, preview in files:
            _delete_file(file)
            _delete_file(preview)

    transaction.on_commit(delete_files)
    return len(attachments)


# -- Retention ---------------------------------------------------------------------------------


def retention_policy_set(*, agency: Agency, keep_days: int, actor) -> RetentionPolicy:
    if keep_days < MINIMUM_RETENTION_DAYS:
        raise ValidationError(
            {"keep_days": _("Keep personal data for at least 30 days.")}, code="too_short"
        )
    with transaction.atomic():
        policy, _created = RetentionPolicy.objects.update_or_create(
            agency=agency, defaults={"keep_days": keep_days}
        )
        audit_record(
            actor=actor,
            action="privacy.retention_set",
            target=agency.code,
            agency=agency,
            keep_days=keep_days,
        )
    return policy


def _held_ticket_ids() -> models.QuerySet:
    return LegalHold.objects.filter(released_at__isnull=True, ticket__isnull=False).values(
        "ticket_id"
    )


def _held_person_ids() -> models.QuerySet:
    return LegalHold.objects.filter(released_at__isnull=True, person__isnull=False).values(
        "person_id"
    )


def tickets_past_retention(*, now=None) -> models.QuerySet:
    """Closed tickets older than their handling agency keeps them, not yet stripped, not held."""
    now = now or timezone.now()
    condition = Q()
    policies = dict(RetentionPolicy.objects.values_list("agency_id", "keep_days"))
    default_cutoff = now - timedelta(days=DEFAULT_RETENTION_DAYS)
    for agency_id, keep_days in policies.items():
        condition |= Q(agency_id=agency_id, closed_at__lt=now - timedelta(days=keep_days))
    condition |= ~Q(agency_id__in=list(policies)) & Q(closed_at__lt=default_cutoff)
    return (
        Ticket.objects.filter(condition, status=Ticket.Status.CLOSED)
        .exclude(pk__in=RetentionMark.objects.values("ticket_id"))
        .exclude(pk__in=_held_ticket_ids())
        .exclude(requester_id__in=_held_person_ids())
    )


RETIRED_REQUESTER_EMAIL = "retired-requester@erased.invalid"


def _retired_requester():
    """The one closed account that old tickets name as their requester once retention ran."""
    user, _created = get_user_model().objects.get_or_create(
        email=RETIRED_REQUESTER_EMAIL,
        defaults={"full_name": str(REMOVED), "is_active": False},
    )
    return user


def _ticket_strip(ticket: Ticket) -> tuple[int, int]:
    """Removes a ticket's personal data, keeping every field a figure is counted from."""
    retired = _retired_requester()
    TicketEvent.objects.filter(ticket=ticket, actor_id=ticket.requester_id).update(actor=retired)
    ticket.watchers.clear()
    attachments = _attachments_delete(Attachment.objects.filter(ticket=ticket))
    messages = TicketEvent.objects.filter(ticket=ticket, kind__in=MESSAGE_KINDS).exclude(body="")
    cleared = messages.update(body="")
    TicketEvent.objects.filter(ticket=ticket).exclude(data={}).filter(
        kind__in=MESSAGE_KINDS
    ).update(data={})
    Ticket.objects.filter(pk=ticket.pk).update(subject=REMOVED, description="", requester=retired)
    InboundMessage.objects.filter(ticket=ticket).update(raw=b"")
    for model, link in _models_about_a_ticket():
        _personal_fields_clear(model.objects.filter(**{link: ticket}))
    ticket_search_rebuild(ticket=ticket)
    return attachments, cleared


def _models_about_a_ticket() -> list[tuple[type[models.Model], str]]:
    """Every other model that points at a ticket and marks personal fields: mail in and out,
    notices, transfers, text messages..., with the name of its link to the ticket."""
    handled = {Ticket, TicketEvent, Attachment}
    found = []
    for model in apps.get_models():
        if model in handled or not getattr(model, "personal_data_fields", ()):
            continue
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is Ticket:
                found.append((model, field.name))
    return found


def _personal_fields_clear(queryset) -> int:
    """Empties the personal fields of the rows: text to REMOVED or blank, JSON to its default."""
    values = {}
    for name in queryset.model.personal_data_fields:
        field = queryset.model._meta.get_field(name)
        if isinstance(field, models.JSONField):
            values[name] = field.get_default()
        elif field.null:
            values[name] = None
        elif isinstance(field, models.CharField) and (field.max_length or 0) >= len(REMOVED):
            values[name] = REMOVED
        else:
            values[name] = ""
    return queryset.update(**values) if values else 0


def retention_apply(*, now=None) -> int:
    """Strips the personal data of every closed ticket past its agency's retention period.

    1. Picks a batch of due tickets, locking them and skipping those another run holds.
    2. For each: names a retired account as its requester and author of the requester's
       messages, drops its watchers, deletes its attachments, clears message bodies, subject
       and description, mail in and out; agency, category, priority, times and figures stay.
    3. Marks it (a unique row), writes a "personal data removed" event, and records the run.
    Running it again finds nothing left to do.
    """
    done = 0
    while True:
        with transaction.atomic():
            _allow_history_changes()
            batch = list(
                tickets_past_retention(now=now)
                .order_by("pk")
                .select_for_update(skip_locked=True, of=("self",))[:RETENTION_BATCH]
            )
            if not batch:
                break
            for ticket in batch:
                attachments, cleared = _ticket_strip(ticket)
                RetentionMark.objects.create(
                    ticket=ticket, attachments_deleted=attachments, messages_cleared=cleared
                )
                TicketEvent.objects.create(
                    ticket=ticket,
                    kind=TicketEvent.Kind.PERSONAL_DATA,
                    actor=None,
                    is_public=False,
                    data={"reason": "retention", "attachments": attachments, "messages": cleared},
                    created_at=timezone.now(),
                )
            audit_record(
                actor=None,
                action="privacy.retention_applied",
                target=f"{len(batch)} tickets",
                tickets=[t.reference for t in batch],
            )
            done += len(batch)
    return done


# -- Legal holds ---------------------------------------------------------------------------------


def legal_hold_place(*, actor, reason: str, ticket=None, person=None) -> LegalHold:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the data must be kept.")})
    if (ticket is None) == (person is None):
        raise ValidationError(_("A hold is on one ticket or on one person."))
    with transaction.atomic():
        hold = LegalHold.objects.create(
            ticket=ticket, person=person, reason=reason, placed_by=actor
        )
        audit_record(
            actor=actor,
            action="privacy.hold_placed",
            target=ticket.reference if ticket else f"user {person.pk}",
            agency=getattr(ticket, "agency", None),
        )
    return hold


def legal_hold_release(*, hold: LegalHold, actor) -> None:
    with transaction.atomic():
        if LegalHold.objects.filter(pk=hold.pk, released_at__isnull=True).update(
            released_at=timezone.now()
        ):
            audit_record(actor=actor, action="privacy.hold_released", target=f"hold {hold.pk}")


# -- Erasure -----------------------------------------------------------------------------------

TEXT_TYPES = ("text", "character varying", "jsonb", "json")


def _phone_pattern(number: str) -> str | None:
    """The number's national digits however they were written: +231 777 123 456, 0777-123456
    and 231777123456 all hold them."""
    digits = re.sub(r"\D", "", number)
    with contextlib.suppress(phonenumbers.NumberParseException):
        digits = str(phonenumbers.parse(f"+{digits}").national_number)
    if len(digits) < 7:
        return None
    return r"[\s.()-]*".join(digits)


def person_identifiers(person) -> list[str]:
    """Regular expressions for the person's name, e-mail address and phone numbers."""
    patterns = [re.escape(person.email)]
    name = (person.full_name or "").strip()
    if len(name) >= 4:
        patterns.append(r"\s+".join(re.escape(part) for part in name.split()))
    for phone in _person_phones(person):
        pattern = _phone_pattern(phone)
        if pattern:
            patterns.append(pattern)
    return patterns


PHONE_WORDS = ("phone", "mobile", "msisdn", "number")


def _person_phones(person) -> list[str]:
    """Phone numbers held about the person: their own phone fields, and the personal fields
    named like a phone on rows that point at them (a confirmed mobile number)."""
    user_model = get_user_model()
    tables = set(connection.introspection.table_names())
    phones = [
        getattr(person, f.name)
        for f in user_model._meta.concrete_fields
        if "phone" in f.name and isinstance(f, models.CharField)
    ]
    for model in apps.get_models():
        if model is user_model or model._meta.db_table not in tables:
            continue
        phone_fields = [
            name
            for name in getattr(model, "personal_data_fields", ())
            if any(word in name for word in PHONE_WORDS)
        ]
        links = [
            f.name
            for f in model._meta.concrete_fields
            if f.is_relation and f.related_model is user_model
        ]
        if not phone_fields or not links:
            continue
        condition = Q()
        for link in links:
            condition |= Q(**{link: person})
        for row in model.objects.filter(condition).values_list(*phone_fields):
            phones += [value for value in row if value]
    return [p for p in phones if isinstance(p, str) and p]


def _text_columns() -> dict[str, list[tuple[str, str]]]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.table_name, c.column_name, c.data_type
            FROM information_schema.columns c
            JOIN information_schema.tables t
              ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
              AND c.data_type = ANY(%s)
            ORDER BY c.table_name, c.ordinal_position
            """,
            [list(TEXT_TYPES)],
        )
        tables: dict[str, list[tuple[str, str]]] = {}
        for table, column, data_type in cursor.fetchall():
            tables.setdefault(table, []).append((column, data_type))
    return tables


def _replace_everywhere(pattern: str) -> dict[str, int]:
    """Replaces every match of `pattern` (case-insensitive) in every text and JSON column of
    every table with ERASED; returns the rows changed per table."""
    changed = {}
    quote = connection.ops.quote_name
    for table, columns in _text_columns().items():
        sets, wheres, params_set, params_where = [], [], [], []
        for column, data_type in columns:
            col = quote(column)
            if data_type in ("jsonb", "json"):
                sets.append(f"{col} = regexp_replace({col}::text, %s, %s, 'gi')::{data_type}")
                wheres.append(f"{col}::text ~* %s")
            else:
                sets.append(f"{col} = regexp_replace({col}, %s, %s, 'gi')")
                wheres.append(f"{col} ~* %s")
            params_set += [pattern, ERASED]
            params_where.append(pattern)
        sql = f"UPDATE {quote(table)} SET {', '.join(sets)} WHERE {' OR '.join(wheres)}"  # noqa: S608 - names from the catalogue
        with connection.cursor() as cursor:
            cursor.execute(sql, params_set + params_where)
            if cursor.rowcount:
                changed[table] = cursor.rowcount
    return changed


def _is_last_platform_admin(person) -> bool:
    if not Membership.objects.filter(platform_admins_q(), user=person).exists():
        return False
    return not (
        Membership.objects.filter(platform_admins_q(), user__is_active=True)
        .exclude(user=person)
        .exists()
    )


def person_erase_refusal(*, person, actor) -> str | None:
    """Why this erasure may not happen, or None."""
    if actor is not None and person.pk == actor.pk:
        return _("You cannot erase yourself: ask another data protection officer.")
    if LegalHold.objects.filter(
        Q(person=person) | Q(ticket__requester=person), released_at__isnull=True
    ).exists():
        return _("This person's data is under a legal hold: release the hold first.")
    if _is_last_platform_admin(person):
        return _("This is the last platform admin: appoint another before erasing them.")
    if Erasure.objects.filter(person=person).exists():
        return _("This person has already been erased.")
    return None


def person_erase(*, person, actor, reason: str) -> Erasure:
    """Erases a person: what identifies them is pseudonymised everywhere, their files deleted
    and their account closed; the tickets, figures and an audit skeleton stay.

    1. Refuses a person under legal hold, the last platform admin and oneself.
    2. Collects their identifiers (e-mail, name, phone numbers) before changing anything.
    3. Deletes their attachments and those on the tickets they reported.
    4. Clears the text they wrote (ticket descriptions, messages, notices, mail in and out)
       and what others' rows hold of them (addresses read from, search words).
    5. Replaces every remaining mention in every text and JSON column of every table.
    6. Closes the account under a pseudonym, rebuilds the search documents, records it.
    """
    reason = (reason or "").strip()
    if not reason:
        raise DataProtectionError(_("Give the reason for the erasure."))
    refusal = person_erase_refusal(person=person, actor=actor)
    if refusal:
        raise DataProtectionError(refusal)
    counts: dict[str, int] = {}
    with transaction.atomic():
        _allow_history_changes()
        person = get_user_model().objects.select_for_update().get(pk=person.pk)
        patterns = person_identifiers(person)
        requested = Ticket.objects.filter(requester=person)
        counts["files"] = _attachments_delete(
            Attachment.objects.filter(Q(uploaded_by=person) | Q(ticket__in=requested))
        )
        counts["messages"] = (
            TicketEvent.objects.filter(actor=person, kind__in=MESSAGE_KINDS)
            .exclude(body=ERASED)
            .update(body=ERASED)
        )
        requested.update(description=ERASED)
        InboundMessage.objects.filter(
            Q(ticket__in=requested) | Q(sender__icontains=person.email)
        ).update(raw=b"")
        Outbox.objects.filter(Q(recipient=person) | Q(to_address__iexact=person.email)).update(
            to_address=ERASED, body_text=ERASED, body_html="", headers={}
        )
        counts["access_log"] = AccessLogEntry.objects.filter(reader=person).update(
            ip_address=None, target=ERASED
        )
        person.email = f"erased-{person.pk}@erased.invalid"
        person.full_name = _("Erased person")
        person.is_active = False
        person.set_unusable_password()
        person.save(update_fields=["email", "full_name", "is_active", "password"])
        _account_links_delete(person)
        for pattern in patterns:
            for table, rows in _replace_everywhere(pattern).items():
                counts[table] = counts.get(table, 0) + rows
        for ticket in Ticket.objects.filter(
            Q(requester=person) | Q(events__actor=person)
        ).distinct():
            ticket_search_rebuild(ticket=ticket)
        erasure = Erasure.objects.create(
            person=person, erased_by=actor, reason=reason, counts=counts
        )
        audit_record(
            actor=actor, action="privacy.person_erased", target=f"user {person.pk}", reason=reason
        )
    return erasure


def _account_links_delete(person) -> None:
    """What the sign-in machinery holds: addresses, social logins, MFA, sessions, tokens."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.socialaccount.models import SocialAccount

    EmailAddress.objects.filter(user=person).delete()
    SocialAccount.objects.filter(user=person).delete()
    Authenticator.objects.filter(user=person).delete()
    person.api_tokens.update(revoked_at=timezone.now())


# -- Redaction of a message ----------------------------------------------------------------------


def message_redact(*, event: TicketEvent, actor, secret: str = "") -> TicketEvent:
    """Removes a secret (or, without one, the whole text) from a message for good, recording
    who did it; the redaction event holds no part of what was removed. The first message of a
    ticket is its description."""
    if event.kind not in MESSAGE_KINDS:
        raise DataProtectionError(_("Only a message can be redacted."))
    ticket = event.ticket
    created = event.kind == TicketEvent.Kind.CREATED
    text = ticket.description if created else event.body
    secret = secret.strip()
    if secret and secret not in text:
        raise DataProtectionError(_("This text is not in the message."))
    redacted = text.replace(secret, REMOVED) if secret else REMOVED
    with transaction.atomic():
        _allow_history_changes()
        if created:
            Ticket.objects.filter(pk=ticket.pk).update(description=redacted)
            ticket.description = redacted
        if event.body:
            body = event.body.replace(secret, REMOVED) if secret else REMOVED
            TicketEvent.objects.filter(pk=event.pk).update(body=body)
        ticket_search_rebuild(ticket=ticket)
        return TicketEvent.objects.create(
            ticket=ticket,
            kind=TicketEvent.Kind.REDACTED,
            actor=actor,
            is_public=False,
            data={"event": event.pk, "whole": not secret},
            created_at=timezone.now(),
        )
