"""What channels does with committed ticket events (registered in apps.py): public replies
and resolutions by SMS to the people who chose it, and the satisfaction question."""

from collections.abc import Sequence

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from channels.models import PhoneNumber
from channels.outbound import sms_queue
from channels.satisfaction import sms_satisfaction_ask, sms_satisfaction_question
from notifications.models import Kind
from notifications.recipients import recipients_for
from tickets.events import Quiet
from tickets.models import Ticket, TicketEvent

EXCERPT_LENGTH = 300
TOLD_BY_SMS = {Kind.AGENT_REPLY, Kind.RESOLVED}
SMS_CHANNELS = (Ticket.Channel.SMS, Ticket.Channel.USSD)


def tell_phones(events: Sequence[TicketEvent], quiet: Quiet) -> None:
    """One SMS per person and event; demo data (Quiet.EMAIL) and quieted people get none."""
    if quiet != Quiet.NONE:
        return
    for event in events:
        pairs = [(user, kind) for user, kind in recipients_for(event) if kind in TOLD_BY_SMS]
        if not pairs:
            continue
        phones = {
            phone.user_id: phone
            for phone in PhoneNumber.objects.filter(
                user__in=[user for user, _kind in pairs],
                confirmed_at__isnull=False,
                user__is_active=True,
            )
        }
        for user, kind in pairs:
            phone = phones.get(user.pk)
            if phone is None or not prefers_sms(phone, event.ticket):
                continue
            end = " " + ticket_link(event)
            with translation.override(user.language):
                text = sms_news_text(event, kind)
                if (
                    kind == Kind.RESOLVED
                    and user.pk == event.ticket.requester_id
                    and sms_satisfaction_ask(event=event, phone=phone)
                ):
                    end = " " + sms_satisfaction_question() + end
            sms_queue(
                to=phone.number,
                text=text,
                keep_end=end,
                recipient=user,
                ticket=event.ticket,
                dedupe_key=f"event:{event.pk}:sms:{user.pk}",
            )


def prefers_sms(phone: PhoneNumber, ticket: Ticket) -> bool:
    """A person who chose news by SMS, and the requester of a ticket reported by SMS or USSD
    (they hear of it the way they reported it)."""
    if phone.sms_updates:
        return True
    return phone.user_id == ticket.requester_id and ticket.channel in SMS_CHANNELS


def ticket_link(event: TicketEvent) -> str:
    return settings.GOVDESK_SITE_URL + reverse("ticket_detail", args=[event.ticket.reference])


def sms_news_text(event: TicketEvent, kind: str) -> str:
    """Short: the reference, the first 300 characters of what was said, (the link is added
    by the caller, kept whole when the text must be cut)."""
    reference = event.ticket.reference
    if kind == Kind.RESOLVED:
        return _("GovDesk: %(reference)s is resolved: %(subject)s") % {
            "reference": reference,
            "subject": event.ticket.subject[:EXCERPT_LENGTH],
        }
    body = " ".join(event.body.split())
    if len(body) > EXCERPT_LENGTH:
        body = body[: EXCERPT_LENGTH - 1].rstrip() + "…"
    return _("GovDesk %(reference)s: %(text)s") % {"reference": reference, "text": body}
