"""What satisfaction does with committed ticket events (registered in apps.py)."""

from collections.abc import Sequence

from satisfaction.services import surveys_open_for
from tickets.events import Quiet
from tickets.models import TicketEvent


def ask_on_resolution(events: Sequence[TicketEvent], quiet: Quiet) -> None:
    """Each resolution gets its question, answered by e-mail link or on the ticket's page."""
    surveys_open_for(events)
