"""What notifications does with committed ticket events (registered in apps.py)."""

from collections.abc import Sequence

from notifications.services import notify_ticket_event
from notifications.webhook_services import webhooks_queue_for_event
from tickets.events import Quiet
from tickets.models import TicketEvent


def tell_people(events: Sequence[TicketEvent], quiet: Quiet) -> None:
    """Notices and e-mail to everyone who should hear of each event."""
    if quiet == Quiet.PEOPLE:
        return
    for event in events:
        notify_ticket_event(event, send_email=quiet != Quiet.EMAIL)


def tell_systems(events: Sequence[TicketEvent], quiet: Quiet) -> None:
    """Signed webhooks. Systems hear of every event they subscribe to, even one people are not
    told of again (a major incident's children, resolved with one message)."""
    for event in events:
        webhooks_queue_for_event(event)
