"""What the knowledge base does with committed ticket events (registered in apps.py)."""

from collections.abc import Sequence

from knowledge.services import article_uses_record
from tickets.events import Quiet
from tickets.models import TicketEvent


def count_article_answers(events: Sequence[TicketEvent], quiet: Quiet) -> None:
    """A staff reply linking to an article counts the article for that ticket."""
    article_uses_record(events)
