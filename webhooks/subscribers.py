"""What webhooks does with committed ticket events (registered in apps.py)."""

from collections.abc import Sequence

from tickets.events import Quiet
from tickets.models import TicketEvent
from webhooks.services import webhooks_queue_for_event


def tell_systems(events: Sequence[TicketEvent], quiet: Quiet) -> None:
    """Signed webhooks. Systems hear of every event they subscribe to, even one people are not
    told of again (a major incident's children, resolved with one message)."""
    for event in events:
        webhooks_queue_for_event(event)
