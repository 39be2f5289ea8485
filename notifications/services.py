"""Every write of notifications: notices, outbox rows, preferences."""

import logging

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
from notifications.recipients import recipients_for
from tickets.models import TicketEvent

logger = logging.getLogger(__name__)


def preference_mode(user: User, kind: str) -> str:
    if kind in MANDATORY_KINDS:
        return Preference.Mode.IMMEDIATE
    chosen = Preference.objects.filter(user=user, kind=kind).values_list("mode", flat=True)
    return next(iter(chosen), Preference.Mode.IMMEDIATE)


def notify_ticket_event(event: TicketEvent, *, send_email: bool = True) -> int:
    """Tells everyone who should hear of `event` (notifications/subscribers.py calls it once
    the event's change has committed); returns how many were told.

    Each person gets an in-app notice; by their preference for the kind, an e-mail now (an
    outbox row, sent after commit), a line in tomorrow's digest, or nothing more. Telling twice
    tells nobody twice: a notice exists once per (person, event, kind).
    """
    told = 0
    for user, kind in recipients_for(event):
        mode = preference_mode(user, kind)
        with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
            text = notice_text(kind, event, user)
        _notice, created = Notice.objects.get_or_create(
            user=user,
            event=event,
            kind=kind,
            defaults={
                "ticket": event.ticket,
                "text": text[:300],
                "created_at": event.created_at,
                "digest_pending": mode == Preference.Mode.DIGEST,
            },
        )
        if created and mode == Preference.Mode.IMMEDIATE and send_email:
            outbox_write_ticket_email(user=user, kind=kind, event=event, text=text)
        told += created
    return told


def ticket_url(event: TicketEvent) -> str:
    return settings.GOVDESK_SITE_URL + reverse("ticket_detail", args=[event.ticket.reference])


def notice_text(kind: str, event: TicketEvent, user: User) -> str:
    ticket = event.ticket
    actor = event.actor.get_full_name() if event.actor else _("GovDesk")
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

    Every message of a ticket names the same root in In-Reply-To and References, so mail
    clients thread them together; Auto-Submitted and X-Auto-Response-Suppress keep
    out-of-office replies from coming back as new messages.
    """
    ticket = event.ticket
    language = user.preferred_language or settings.LANGUAGE_CODE
    reply_to = agency_reply_address(ticket)
    context = {
        "user": user,
        "kind": kind,
        "event": event,
        "ticket": ticket,
        "headline": text,
        "url": ticket_url(event),
        # Only public words ever reach a mailbox; internal notes never become e-mail.
        "body": event.body if event.is_public and event.kind == TicketEvent.Kind.REPLY else "",
        "reopen": kind == Kind.RESOLVED,
        # "Reply to this e-mail" only where a reply reaches the ticket.
        "reply_by_email": bool(reply_to),
    }
    with translation.override(language):
        body_text = render_to_string("notifications/email/ticket.txt", context)
        body_html = render_to_string("notifications/email/ticket.html", context)
    root = thread_id(ticket)
    message_id = (
        f"<ticket-{ticket.reference.lower()}-{event.pk}-{user.pk}@{settings.GOVDESK_MAIL_DOMAIN}>"
    )
    # A line break in a header is refused by the mail library, and the row would fail forever.
    subject = " ".join(f"[{ticket.reference}] {ticket.subject}".split())
    now = timezone.now()
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
            "Content-Language": language,
            "X-GovDesk-Ticket": ticket.reference,
            **({"Reply-To": reply_to} if reply_to else {}),
        },
        message_id=message_id,
        ticket=ticket,
        dedupe_key=f"event:{event.pk}:user:{user.pk}:email",
        created_at=now,
        next_attempt_at=now,
    )
    transaction.on_commit(lambda: outbox_queue_delivery(outbox.pk))
    return outbox


def agency_reply_address(ticket) -> str:
    """The handling agency's active inbound mailbox, so replies by e-mail land on the ticket."""
    from mail.models import InboundMailbox

    addresses = InboundMailbox.objects.filter(agency=ticket.agency_id, is_active=True)
    return addresses.order_by("pk").values_list("address", flat=True).first() or ""
