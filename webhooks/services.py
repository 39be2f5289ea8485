"""Every write of webhooks: endpoints an agency admin registers, and the outbox rows that
carry ticket events to them. Delivery itself goes through the outbox like e-mail does
(mail/delivery.py): claimed once, retried with backoff, logged per attempt."""

import json
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import IntegerField, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from agencies.models import Agency
from core.audit import audit_record
from mail.models import Outbox
from tickets.models import TicketEvent, TicketTransfer
from webhooks.client import webhook_post, webhook_url_check
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

SECRET_MIN_LENGTH = 16
Kind = TicketEvent.Kind
# Which webhook event a ticket event is. Internal notes and links are nobody's business
# outside the agency's own staff; they have no webhook event and are never sent.
WEBHOOK_EVENT_FOR_KIND = {
    Kind.CREATED: WebhookEvent.TICKET_CREATED,
    Kind.STATUS: WebhookEvent.TICKET_UPDATED,
    Kind.PRIORITY: WebhookEvent.TICKET_UPDATED,
    Kind.TEAM: WebhookEvent.TICKET_UPDATED,
    Kind.CATEGORY: WebhookEvent.TICKET_UPDATED,
    Kind.REPLY: WebhookEvent.TICKET_COMMENTED,
    Kind.ASSIGNEE: WebhookEvent.TICKET_ASSIGNED,
    Kind.TRANSFER: WebhookEvent.TICKET_TRANSFERRED,
    Kind.ESCALATION: WebhookEvent.TICKET_ESCALATED,
}
# Escalations are staff-only events, but their payload carries no words of anyone's: only
# the level reached. Every other event is sent only when it is public.
_SENT_THOUGH_NOT_PUBLIC = {Kind.ESCALATION}


def _clean_events(events) -> list[str]:
    chosen = [e for e in WebhookEvent.values if e in set(events or ())]
    if not chosen:
        raise ValidationError({"events": _("Choose at least one event.")})
    return chosen


def _clean_secret(secret: str) -> str:
    secret = secret.strip()
    if len(secret) < SECRET_MIN_LENGTH:
        raise ValidationError(
            {"secret": _("Use at least %(count)d characters.") % {"count": SECRET_MIN_LENGTH}}
        )
    return secret


@transaction.atomic
def webhook_create(
    *, agency: Agency, url: str, events, actor: User, secret: str = ""
) -> tuple[WebhookEndpoint, str]:
    """Registers an endpoint; returns it and its signing secret (one is made if none given)."""
    url = webhook_url_check(url)
    secret = _clean_secret(secret) if secret.strip() else secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(agency=agency, url=url, events=_clean_events(events))
    endpoint.secret = secret
    endpoint.created_by = actor
    endpoint.save()
    audit_record(
        actor=actor, action="webhook.created", target=endpoint, agency=agency,
        events=endpoint.events,
    )  # fmt: skip
    return endpoint, secret


@transaction.atomic
def webhook_update(
    *, endpoint: WebhookEndpoint, url: str, events, is_active: bool, actor: User, secret=""
) -> WebhookEndpoint:
    endpoint.url = webhook_url_check(url)
    endpoint.events = _clean_events(events)
    endpoint.is_active = is_active
    fields = ["url", "events", "is_active"]
    if secret.strip():
        endpoint.secret = _clean_secret(secret)
        fields.append("secret_encrypted")
    endpoint.save(update_fields=fields)
    audit_record(
        actor=actor, action="webhook.updated", target=endpoint, agency=endpoint.agency,
        events=endpoint.events, is_active=is_active, new_secret=bool(secret.strip()) or None,
    )  # fmt: skip
    return endpoint


@transaction.atomic
def webhook_delete(*, endpoint: WebhookEndpoint, actor: User) -> None:
    audit_record(actor=actor, action="webhook.deleted", target=endpoint, agency=endpoint.agency)
    endpoint.delete()


# -- Events out -------------------------------------------------------------------------------


def webhook_payload(event: TicketEvent, webhook_event: str) -> dict:
    """What a receiver learns of an event: the ticket's state, and the change or the public
    reply. Never an internal note (those have no webhook event at all)."""
    ticket = event.ticket
    payload = {
        "id": f"event-{event.pk}",
        "event": webhook_event,
        "occurred_at": event.created_at.isoformat(),
        "ticket": {
            "reference": ticket.reference,
            "url": settings.GOVDESK_SITE_URL
            + reverse("api-ticket-detail", args=[ticket.reference]),
            "subject": ticket.subject,
            "status": ticket.status,
            "priority": ticket.priority,
            "category": ticket.category.slug,
            "agency": ticket.agency.code,
            "team": ticket.team.name if ticket.team_id else None,
            "assignee": ticket.assignee.email if ticket.assignee_id else None,
            "requester": ticket.requester.email,
        },
    }
    if webhook_event == WebhookEvent.TICKET_COMMENTED:
        payload["comment"] = {
            "body": event.body,
            "author": event.actor.email if event.actor_id else None,
        }
    elif webhook_event == WebhookEvent.TICKET_ESCALATED:
        payload["escalation"] = {
            key: event.data[key]
            for key in ("level", "clock", "percent", "breach", "raised_priority")
            if key in event.data
        }
    elif webhook_event != WebhookEvent.TICKET_CREATED:
        payload["change"] = {
            "kind": event.kind,
            "old": event.data.get("old"),
            "new": event.data.get("new"),
        }
    return payload


def _agency_holding_at(event: TicketEvent) -> int | Coalesce:
    """The agency that held the ticket when the event happened. Subscribers run after the
    commit, maybe much later (a sweep's batch, a retried drain), and a ticket may have moved
    on since: its later transfers say where it was. Besides a transfer's, an expression that
    the endpoints' query reads, so that it costs no statement of its own."""
    if event.kind == Kind.TRANSFER:
        return _agency_after(event)
    later = (
        TicketTransfer.objects.filter(ticket=event.ticket_id, created_at__gt=event.created_at)
        .order_by("created_at", "pk")
        .values("from_agency")[:1]
    )
    return Coalesce(Subquery(later), Value(event.ticket.agency_id), output_field=IntegerField())


def _agency_after(event: TicketEvent) -> int:
    code = event.data.get("new")
    found = Agency.objects.filter(code=code).values_list("pk", flat=True).first()
    return found or event.ticket.agency_id


def webhooks_queue_for_event(event: TicketEvent) -> int:
    """Writes one outbox row per endpoint that subscribes to the event; call inside the
    service's transaction. A transfer is told to the agency it left as well."""
    from mail.services import outbox_queue_delivery

    webhook_event = WEBHOOK_EVENT_FOR_KIND.get(event.kind)
    if webhook_event is None:
        return 0
    if not event.is_public and event.kind not in _SENT_THOUGH_NOT_PUBLIC:
        return 0
    agencies = Q(agency=_agency_holding_at(event))
    if event.kind == Kind.TRANSFER and event.data.get("old"):
        agencies |= Q(agency__code=event.data["old"])
    endpoints = list(
        WebhookEndpoint.objects.filter(agencies, is_active=True, events__contains=[webhook_event])
    )
    if not endpoints:
        return 0
    body = json.dumps(webhook_payload(event, webhook_event), separators=(",", ":"))
    now = timezone.now()
    for endpoint in endpoints:
        outbox, created = Outbox.objects.get_or_create(
            dedupe_key=f"event:{event.pk}:webhook:{endpoint.pk}",
            defaults={
                "channel": Outbox.Channel.WEBHOOK,
                "to_address": endpoint.url,
                "subject": webhook_event,
                "body_text": body,
                "headers": {"endpoint": endpoint.pk, "event": webhook_event},
                "ticket": event.ticket,
                "created_at": now,
                "next_attempt_at": now,
            },
        )
        if created:
            transaction.on_commit(lambda pk=outbox.pk: outbox_queue_delivery(pk))
    return len(endpoints)


def webhook_deliver(outbox: Outbox) -> None:
    """Sends a webhook outbox row once and logs the attempt; raises if it did not arrive, so
    that the outbox records the error and tries again after its backoff."""
    endpoint = WebhookEndpoint.objects.filter(pk=outbox.headers.get("endpoint")).first()
    if endpoint is None or not endpoint.is_active:
        raise RuntimeError("the webhook endpoint was removed or switched off")
    result = webhook_post(
        url=endpoint.url,
        secret=endpoint.secret,
        body=outbox.body_text.encode(),
        headers={
            "X-GovDesk-Event": outbox.subject,
            "X-GovDesk-Delivery": str(outbox.pk),
        },
    )
    WebhookDelivery.objects.create(
        endpoint=endpoint,
        outbox=outbox,
        event=outbox.subject,
        attempt=outbox.attempts,
        status_code=result.status_code,
        error=result.error,
        duration_ms=result.duration_ms,
        created_at=timezone.now(),
    )
    if not result.succeeded:
        raise RuntimeError(result.error or "not delivered")
