"""Every write of notifications: notices, outbox rows, preferences."""

import logging
from contextvars import ContextVar
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from mail.models import Outbox
from mail.services import outbox_queue_delivery
from notifications.models import MANDATORY_KINDS, Kind, Notice, Preference
from notifications.recipients import recipients_for, recipients_sharing
from satisfaction.services import is_resolution, survey_url
from service_levels.models import EscalationLevel
from tickets.models import TicketEvent

logger = logging.getLogger(__name__)


def preference_mode(user: User, kind: str) -> str:
    if kind in MANDATORY_KINDS:
        return Preference.Mode.IMMEDIATE
    chosen = Preference.objects.filter(user=user, kind=kind).values_list("mode", flat=True)
    return next(iter(chosen), Preference.Mode.IMMEDIATE)


def notify_ticket_event(
    event: TicketEvent, *, send_email: bool = True, share: str | None = None
) -> int:
    """Tells everyone who should hear of `event` (notifications/subscribers.py calls it once
    the event's change has committed); returns how many were told. `share`, a
    `recipients.Share`, tells only those told at once or only the team told by a worker.

    Each person gets an in-app notice; by their preference for the kind, an e-mail now (an
    outbox row, sent after commit), a line in tomorrow's digest, or nothing more. Telling twice
    tells nobody twice: a notice exists once per (person, event, kind).
    """
    if warning_overtaken(event):
        return 0
    recipients = recipients_for(event) if share is None else recipients_sharing(event, share)
    token = _reply_addresses.set({})
    try:
        told = _tell(event, recipients, send_email=send_email)
    finally:
        _reply_addresses.reset(token)
    return told


def _tell(event: TicketEvent, recipients, *, send_email: bool) -> int:
    told = 0
    for user, kind in recipients:
        mode = preference_mode(user, kind)
        with translation.override(user.language):
            text = notice_text(kind, event, user)
        # Not get_or_create, whose savepoint costs two statements more: the subscriber holds
        # the event's pending row, so no one else is telling this person of it now, and should
        # the unique constraint still refuse a notice, the subscriber's run fails and is retried.
        if Notice.objects.filter(user=user, event=event, kind=kind).exists():
            continue
        Notice.objects.create(
            user=user,
            event=event,
            kind=kind,
            ticket=event.ticket,
            text=text[:300],
            created_at=event.created_at,
            digest_pending=mode == Preference.Mode.DIGEST,
        )
        if mode == Preference.Mode.IMMEDIATE and send_email:
            outbox_write_ticket_email(user=user, kind=kind, event=event, text=text)
        told += 1
    return told


def warning_overtaken(event: TicketEvent) -> bool:
    """A service-level warning whose clock has already run out says nothing worth reading: the
    breach (in the same sweep, when the sweep ran late) says it all. Nobody hears of it."""
    if event.kind != TicketEvent.Kind.ESCALATION or event.data.get("breach"):
        return False
    ticket = event.ticket
    if event.data.get("clock") == EscalationLevel.Clock.RESPONSE:
        return ticket.response_breached
    return ticket.resolution_breached


def ticket_url(event: TicketEvent) -> str:
    return settings.GOVDESK_SITE_URL + reverse("ticket_detail", args=[event.ticket.reference])


def notice_text(kind: str, event: TicketEvent, user: User) -> str:
    ticket = event.ticket
    actor = event.actor.get_full_name() if event.actor else _("GovDesk")
    if kind == Kind.RECEIVED:
        return _("We received your report %(reference)s: %(subject)s") % {
            "reference": ticket.reference,
            "subject": ticket.subject,
        }
    if kind == Kind.TICKET_CREATED:
        return _("New ticket %(reference)s for your team: %(subject)s") % {
            "reference": ticket.reference,
            "subject": ticket.subject,
        }
    if kind == Kind.AGENT_REPLY:
        return _("%(name)s replied to %(reference)s: %(subject)s") % {
            "name": actor, "reference": ticket.reference, "subject": ticket.subject,
        }  # fmt: skip
    if kind == Kind.REQUESTER_REPLY:
        return _("%(name)s replied on %(reference)s: %(subject)s") % {
            "name": actor, "reference": ticket.reference, "subject": ticket.subject,
        }  # fmt: skip
    if kind == Kind.ASSIGNED:
        return _("%(reference)s is assigned to you: %(subject)s") % {
            "reference": ticket.reference,
            "subject": ticket.subject,
        }
    if kind == Kind.TRANSFERRED:
        if user.pk == ticket.requester_id:
            return _(
                "Your ticket %(reference)s is now handled by %(agency)s, who can best solve it."
            ) % {"reference": ticket.reference, "agency": ticket.agency.name}
        return _("%(reference)s moved to your agency from %(from)s: %(subject)s") % {
            "reference": ticket.reference,
            "from": event.data.get("old", ""),
            "subject": ticket.subject,
        }
    if kind == Kind.INCIDENT:
        return _(
            "Your ticket %(reference)s is part of a known major incident, %(incident)s: "
            "%(agency)s is working on it and you will hear when it is fixed."
        ) % {
            "reference": ticket.reference,
            "incident": event.data.get("incident", ""),
            "agency": event.data.get("owner", ""),
        }
    if kind == Kind.MENTIONED:
        return _("%(name)s mentioned you in a note on %(reference)s: %(subject)s") % {
            "name": actor, "reference": ticket.reference, "subject": ticket.subject,
        }  # fmt: skip
    if kind == Kind.REOPENED:
        return _("%(name)s reopened %(reference)s: %(subject)s") % {
            "name": actor, "reference": ticket.reference, "subject": ticket.subject,
        }  # fmt: skip
    if kind == Kind.RESOLVED:
        return _("Your ticket %(reference)s is resolved: %(subject)s") % {
            "reference": ticket.reference,
            "subject": ticket.subject,
        }
    if event.data.get("breach"):
        return _("%(reference)s has missed its service level: %(subject)s") % {
            "reference": ticket.reference,
            "subject": ticket.subject,
        }
    return _("%(reference)s is close to missing its service level: %(subject)s") % {
        "reference": ticket.reference,
        "subject": ticket.subject,
    }


def thread_id(ticket) -> str:
    return f"<ticket-{ticket.reference.lower()}@{settings.GOVDESK_MAIL_DOMAIN}>"


def outbox_write_ticket_email(*, user: User, kind: str, event: TicketEvent, text: str) -> Outbox:
    """Writes the e-mail that tells `user` of `event`; it is sent after the commit.

    1. News of a ticket for a person who already has a message of it waiting (written less
       than GOVDESK_EMAIL_GROUP_SECONDS ago, not yet sent) joins that message, which is
       written again whole: a reply and its "resolved" arrive as one e-mail.
    2. Otherwise a new message, held for the window when there is one.

    Every message of a ticket names the same root in In-Reply-To and References, so mail
    clients thread them together; Auto-Submitted and X-Auto-Response-Suppress keep
    out-of-office replies from coming back as new messages.
    """
    ticket = event.ticket
    part = {"event": event.pk, "kind": kind, "text": text}
    window = settings.GOVDESK_EMAIL_GROUP_SECONDS
    group_key = f"ticket:{ticket.pk}:user:{user.pk}" if window else ""
    now = timezone.now()
    if group_key:
        waiting = (
            Outbox.objects.select_for_update()
            .filter(
                group_key=group_key,
                state=Outbox.State.PENDING,
                attempts=0,
                hold_until__gt=now,
            )
            .order_by("-pk")
            .first()
        )
        if waiting is not None:
            waiting.parts = [*waiting.parts, part]
            events = TicketEvent.objects.in_bulk([p["event"] for p in waiting.parts])
            waiting.body_text, waiting.body_html = _ticket_email_bodies(
                user=user,
                ticket=ticket,
                parts=waiting.parts,
                events=events,
                reply_to=waiting.headers.get("Reply-To", ""),
            )
            waiting.save(update_fields=["parts", "body_text", "body_html"])
            return waiting
    reply_to = agency_reply_address(ticket)
    body_text, body_html = _ticket_email_bodies(
        user=user, ticket=ticket, parts=[part], events={event.pk: event}, reply_to=reply_to
    )
    root = thread_id(ticket)
    message_id = (
        f"<ticket-{ticket.reference.lower()}-{event.pk}-{user.pk}@{settings.GOVDESK_MAIL_DOMAIN}>"
    )
    # A line break in a header is refused by the mail library, and the row would fail forever.
    subject = " ".join(f"[{ticket.reference}] {ticket.subject}".split())
    hold_until = now + timedelta(seconds=window) if window else None
    outbox = Outbox.objects.create(
        channel=Outbox.Channel.EMAIL,
        recipient=user,
        to_address=user.email,
        subject=subject[:300],
        body_text=body_text,
        body_html=body_html,
        headers={
            "Message-ID": message_id,
            "In-Reply-To": root,
            "References": root,
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "OOF, AutoReply",
            "Content-Language": user.language,
            "X-GovDesk-Ticket": ticket.reference,
            **({"Reply-To": reply_to} if reply_to else {}),
        },
        message_id=message_id,
        ticket=ticket,
        dedupe_key=f"event:{event.pk}:user:{user.pk}:email",
        group_key=group_key,
        hold_until=hold_until,
        parts=[part],
        created_at=now,
        next_attempt_at=hold_until or now,
    )
    # A held row's task finds it waiting and comes back when the window closes.
    transaction.on_commit(lambda: outbox_queue_delivery(outbox.pk))
    return outbox


def _ticket_email_bodies(
    *, user: User, ticket, parts: list[dict], events: dict[int, TicketEvent], reply_to: str
) -> tuple[str, str]:
    """The text and HTML of a ticket's e-mail telling each of `parts`, in the person's language."""
    items = []
    for part in parts:
        event = events.get(part["event"])
        items.append(
            {
                "kind": part["kind"],
                "headline": part["text"],
                # Only public words ever reach a mailbox; internal notes never become e-mail.
                "body": event.body
                if event is not None and event.is_public and event.kind == TicketEvent.Kind.REPLY
                else "",
            }
        )
    kinds = {part["kind"] for part in parts}
    context = {
        "user": user,
        "ticket": ticket,
        "items": items,
        "url": settings.GOVDESK_SITE_URL + reverse("ticket_detail", args=[ticket.reference]),
        "reopen": Kind.RESOLVED in kinds,
        "received": Kind.RECEIVED in kinds,
        # "Reply to this e-mail" only where a reply reaches the ticket.
        "reply_by_email": bool(reply_to),
        "satisfaction_url": _satisfaction_url(user, ticket, parts, events),
    }
    # Times in the handling agency's one time zone, as its calendar and due times use.
    with translation.override(user.language), timezone.override(ticket.agency.time_zone):
        return (
            render_to_string("notifications/email/ticket.txt", context),
            render_to_string("notifications/email/ticket.html", context),
        )


def _satisfaction_url(user: User, ticket, parts: list[dict], events: dict) -> str:
    """The requester's signed link to answer "how did we do?" for the resolution told."""
    if user.pk != ticket.requester_id or ticket.is_major_incident:
        return ""
    resolutions = [
        events[part["event"]]
        for part in parts
        if part["kind"] == Kind.RESOLVED and part["event"] in events
    ]
    resolutions = [event for event in resolutions if is_resolution(event)]
    return survey_url(resolutions[-1]) if resolutions else ""


def agency_reply_address(ticket) -> str:
    """The handling agency's active inbound mailbox, so replies by e-mail land on the ticket.

    Read once while an event is told (`notify_ticket_event`), not once per person told.
    """
    from mail.models import InboundMailbox

    memo = _reply_addresses.get()
    if memo is not None and ticket.agency_id in memo:
        return memo[ticket.agency_id]
    addresses = InboundMailbox.objects.filter(agency=ticket.agency_id, is_active=True)
    address = addresses.order_by("pk").values_list("address", flat=True).first() or ""
    if memo is not None:
        memo[ticket.agency_id] = address
    return address


# While one event is told, each agency's reply address is read once, not once per person.
_reply_addresses: ContextVar[dict | None] = ContextVar("reply_addresses", default=None)
