"""What notifications does with committed ticket events (registered in apps.py)."""

from collections.abc import Sequence

from notifications.services import notify_ticket_event
from tickets.events import Quiet
from tickets.models import TicketEvent


def tell_people(events: Sequence[TicketEvent], quiet: Quiet) -> None:
    """Notices and e-mail to everyone who should hear of each event."""
    if quiet == Quiet.PEOPLE:
        return
    for event in events:
        notify_ticket_event(event, send_email=quiet != Quiet.EMAIL)
