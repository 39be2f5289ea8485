"""Reads of received e-mail, always given the membership the person acts under.

An agency admin sees the messages of their agency's mailboxes; a platform admin sees all,
including those piped in without a mailbox; anyone else sees none.
"""

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import Membership, Role
from notifications.models import InboundMessage


def inbound_messages_visible_to(membership: Membership | None) -> QuerySet[InboundMessage]:
    messages = InboundMessage.objects.select_related("mailbox__agency", "ticket")
    if membership is None:
        return messages.none()
    if membership.role == Role.PLATFORM_ADMIN:
        return messages
    if membership.role == Role.AGENCY_ADMIN and membership.agency_id:
        return messages.filter(mailbox__agency=membership.agency_id)
    return messages.none()


def inbound_messages_for_list(membership: Membership | None, state: str):
    """One page's worth of columns: never the raw bytes, which may be megabytes each."""
    return (
        inbound_messages_visible_to(membership)
        .filter(state=state)
        .only(
            "sender", "subject", "received_at", "state", "reason", "reason_code", "size",
            "mailbox__address", "mailbox__agency__code", "ticket__reference",
        )
        .order_by("-received_at", "-id")
    )  # fmt: skip


def inbound_message_get_for(membership: Membership | None, message_id: int) -> InboundMessage:
    """The message if this person may see it; 404 for missing and forbidden alike."""
    message = inbound_messages_visible_to(membership).filter(pk=message_id).first()
    if message is None:
        raise Http404
    return message
