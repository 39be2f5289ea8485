"""Reads of received e-mail, always given the membership the person acts under.

Whoever configures an agency sees the messages of its mailboxes; whoever configures every
agency (a platform admin) sees all, including those piped in without a mailbox; anyone else
sees none. A message applied to a ticket the person may not read names no such ticket.
"""

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import Membership
from accounts.permissions import (
    Right,
    acting_agency_id,
    membership_has_right,
    sees_all_agencies,
)
from mail.models import InboundMessage


def inbound_messages_visible_to(membership: Membership | None) -> QuerySet[InboundMessage]:
    messages = InboundMessage.objects.select_related("mailbox__agency", "ticket")
    if sees_all_agencies(membership) and membership_has_right(membership, Right.CONFIGURE_AGENCY):
        return messages
    agency_id = acting_agency_id(membership, Right.CONFIGURE_AGENCY)
    if agency_id is None:
        return messages.none()
    return messages.filter(mailbox__agency=agency_id)


def inbound_messages_for_list(membership: Membership | None, state: str):
    """One page's worth of columns: never the raw bytes, which may be megabytes each."""
    return (
        inbound_messages_visible_to(membership)
        .filter(state=state)
        .only(
            "sender", "subject", "received_at", "state", "reason", "reason_code", "size",
            "mailbox__address", "mailbox__agency__code", "ticket__reference", "ticket__agency",
        )
        .order_by("-received_at", "-id")
    )  # fmt: skip


def inbound_message_get_for(membership: Membership | None, message_id: int) -> InboundMessage:
    """The message if this person may see it; 404 for missing and forbidden alike."""
    message = inbound_messages_visible_to(membership).filter(pk=message_id).first()
    if message is None:
        raise Http404
    return message


def inbound_ticket_shown(membership: Membership | None, message: InboundMessage) -> bool:
    """Whether the person may be told which ticket the message went to: only if they may
    read that agency's tickets. Otherwise it is "a ticket of another agency", no more."""
    if message.ticket_id is None:
        return False
    return membership_has_right(membership, Right.SEE_AGENCY_TICKETS, message.ticket.agency_id)
