"""What notifications does with committed ticket events (registered in apps.py)."""

from collections.abc import Sequence

from notifications.recipients import Share
from notifications.services import notify_ticket_event
from tickets.events import Quiet
from tickets.models import TicketEvent


def tell_people(events: Sequence[TicketEvent], quiet: Quiet) -> None:
    """Notices and e-mail to everyone who should hear of each event at once: all but the
    team a new or transferred ticket goes to (`tell_team`)."""
    if quiet == Quiet.PEOPLE:
        return
    for event in events:
        notify_ticket_event(event, send_email=quiet != Quiet.EMAIL, share=Share.PERSONAL)


def tell_team(events: Sequence[TicketEvent], quiet: Quiet) -> None:
    """The receiving team of a new or transferred ticket, by a worker after the commit, so
    that creating a ticket costs the same whatever the size of the team."""
    if quiet == Quiet.PEOPLE:
        return
    for event in events:
        notify_ticket_event(event, send_email=quiet != Quiet.EMAIL, share=Share.TEAM)
