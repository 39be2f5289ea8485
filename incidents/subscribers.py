"""What incidents does with committed ticket events (registered in apps.py)."""

from collections.abc import Sequence

from incidents.services import incident_attach_on_arrival
from tickets.events import Quiet
from tickets.models import Ticket, TicketEvent


def attach_new_tickets(events: Sequence[TicketEvent], quiet: Quiet) -> None:
    """A reported problem that matches an open major incident joins it at once."""
    for event in events:
        if event.ticket.kind == Ticket.Kind.INCIDENT and event.ticket.parent_id is None:
            incident_attach_on_arrival(ticket=event.ticket, quiet=quiet)
