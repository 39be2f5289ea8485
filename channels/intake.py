"""Text messages in: a confirmed civil servant's SMS opens a ticket, or, starting with a
reference, replies to it; a 1 or 2 answers the satisfaction question just asked.

`sms_receive` handles one callback in one transaction:

1. A message id seen before is a replay: nothing is done again.
2. A number over its rate limit is recorded and not answered.
3. An unknown or unconfirmed number is quarantined with its text (the quarantine sweep
   deletes it later) and told once, briefly, how to register.
4. An empty or over-long text is refused with a short answer.
5. A reference first: the reply is added if the sender may reply to that ticket; any other
   reference (missing or someone else's) gets the same refusal, so nothing leaks.
6. Otherwise a new ticket, channel `sms`, in the catalogue's "other" service (else the
   person's first), routed like any other; the answer gives its reference.
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from channels import selectors
from channels.gateways import InboundSmsMessage
from channels.limits import rate_allow
from channels.models import InboundSms, PhoneNumber
from channels.outbound import sms_queue
from channels.satisfaction import sms_satisfaction_answer
from tickets.models import Ticket
from tickets.services import ticket_create, ticket_reply

State, Reason = InboundSms.State, InboundSms.Reason
REFERENCE_AT_START = re.compile(r"^\s*\[?([A-Za-z][A-Za-z0-9]{1,9}-\d{6})\]?[\s:.,-]*(.*)$", re.S)
SUBJECT_LENGTH = 80


def _answer(inbound: InboundSms, number: str, text: str, phone: PhoneNumber | None) -> None:
    sms_queue(
        to=number,
        text=text,
        recipient=phone.user if phone else None,
        ticket=inbound.ticket,
        dedupe_key=f"sms-in:{inbound.pk}:answer",
    )


def _subject(text: str) -> str:
    first_line = " ".join(text.strip().splitlines()[0].split()) if text.strip() else ""
    if len(first_line) <= SUBJECT_LENGTH:
        return first_line
    return first_line[: SUBJECT_LENGTH - 1].rstrip() + "…"


def sms_receive(*, gateway: str, message: InboundSmsMessage) -> InboundSms:
    """Handles one SMS callback in one transaction; a replay returns the first record, with
    `duplicate` set, and does nothing again."""
    with transaction.atomic():
        try:
            # The same callback handled at the same moment by another process waits here
            # for that one's commit, then finds its record.
            with transaction.atomic():
                inbound = InboundSms.objects.create(
                    gateway=gateway,
                    message_id=message.message_id,
                    received_at=timezone.now(),
                    state=State.PROCESSED,
                )
        except IntegrityError:
            existing = InboundSms.objects.get(gateway=gateway, message_id=message.message_id)
            existing.duplicate = True
            return existing
        record = _receive(inbound, message)
    record.duplicate = False
    return record


def _receive(inbound: InboundSms, message: InboundSmsMessage) -> InboundSms:
    number = selectors.phone_sender_normalise(message.sender)
    if not rate_allow("sms", number, settings.SMS_RATE_PER_NUMBER):
        return _record(inbound, State.LIMITED, Reason.RATE_LIMITED)
    phone = selectors.phone_confirmed_owner(number)
    if phone is None:
        waits = selectors.phone_waits_for_confirmation(number)
        # Kept for the quarantine's few days: an admin may need to see who wrote and what.
        inbound.sender, inbound.text = number, message.text[: settings.SMS_MAX_TEXT]
        _record(
            inbound,
            State.QUARANTINED,
            Reason.UNCONFIRMED_SENDER if waits else Reason.UNKNOWN_SENDER,
            "sender",
            "text",
        )
        with translation.override(settings.LANGUAGE_CODE):
            text = (
                _("GovDesk: confirm this number on your profile first, then text again.")
                if waits
                else _("GovDesk does not know this number. Add it on your GovDesk profile.")
            )
        # Told once a day at most: every answer costs the desk, and a number may be spoofed.
        if rate_allow("stranger-answer", number, "1/day"):
            _answer(inbound, number, text, None)
        return inbound
    inbound.phone = phone
    user = phone.user
    with translation.override(user.language):
        return _from_known(inbound, message.text, phone)


def _record(inbound: InboundSms, state: str, reason: str, *fields: str) -> InboundSms:
    inbound.state, inbound.reason_code = state, reason
    inbound.save(update_fields=["state", "reason_code", "phone", "ticket", *fields])
    return inbound


def _from_known(inbound: InboundSms, text: str, phone: PhoneNumber) -> InboundSms:
    number = phone.number
    text = text.strip()
    if not text:
        _record(inbound, State.REFUSED, Reason.EMPTY)
        _answer(inbound, number, _("GovDesk: your message was empty. Describe the problem."), phone)
        return inbound
    if len(text) > settings.SMS_MAX_TEXT:
        _record(inbound, State.REFUSED, Reason.TOO_LONG)
        message = _("GovDesk: your message is too long (at most %(count)d characters).")
        _answer(inbound, number, message % {"count": settings.SMS_MAX_TEXT}, phone)
        return inbound
    if answered := sms_satisfaction_answer(phone=phone, text=text):
        inbound.ticket, answer = answered
        _record(inbound, State.PROCESSED, Reason.NONE)
        _answer(inbound, number, answer, phone)
        return inbound
    if match := REFERENCE_AT_START.match(text):
        return _reply(inbound, match.group(1).upper(), match.group(2).strip(), phone)
    return _open(inbound, text, phone)


def _reply(inbound: InboundSms, reference: str, body: str, phone: PhoneNumber) -> InboundSms:
    ticket, as_agent = selectors.ticket_for_phone_reply(phone.user, reference)
    if ticket is None:
        _record(inbound, State.REFUSED, Reason.REFERENCE_REFUSED)
        _answer(
            inbound,
            phone.number,
            _("GovDesk: you cannot reply to %(reference)s from this number.")
            % {"reference": reference},
            phone,
        )
        return inbound
    if not body:
        _record(inbound, State.REFUSED, Reason.EMPTY)
        _answer(inbound, phone.number, _("GovDesk: write your reply after the reference."), phone)
        return inbound
    try:
        with transaction.atomic():
            ticket_reply(ticket=ticket, author=phone.user, body=body, as_agent=as_agent)
    except ValidationError as error:
        _record(inbound, State.REFUSED, Reason.REFUSED)
        _answer(inbound, phone.number, "GovDesk: " + " ".join(error.messages), phone)
        return inbound
    inbound.ticket = ticket
    _record(inbound, State.PROCESSED, Reason.NONE)
    _answer(
        inbound,
        phone.number,
        _("GovDesk: your reply was added to %(reference)s.") % {"reference": ticket.reference},
        phone,
    )
    return inbound


def _open(inbound: InboundSms, text: str, phone: PhoneNumber) -> InboundSms:
    user = phone.user
    membership = selectors.membership_for_phone(user)
    category = selectors.category_for_sms(membership)
    if category is None:
        _record(inbound, State.REFUSED, Reason.NO_CATEGORY)
        _answer(
            inbound, phone.number, _("GovDesk: no service to report under. Use the web."), phone
        )
        return inbound
    try:
        with transaction.atomic():
            ticket = ticket_create(
                requester=user,
                requester_agency=membership.agency if membership else None,
                category=category,
                subject=_subject(text),
                description=text,
                impact=category.default_impact,
                urgency=category.default_urgency,
                channel=Ticket.Channel.SMS,
            )
    except ValidationError as error:
        _record(inbound, State.REFUSED, Reason.REFUSED)
        _answer(inbound, phone.number, "GovDesk: " + " ".join(error.messages), phone)
        return inbound
    inbound.ticket = ticket
    _record(inbound, State.PROCESSED, Reason.NONE)
    _answer(
        inbound,
        phone.number,
        _(
            "GovDesk: we received your report. Your reference is %(reference)s. "
            "To add to it, text %(reference)s and your message."
        )
        % {"reference": ticket.reference},
        phone,
    )
    return inbound
