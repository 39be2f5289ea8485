"""Tickets by channel, for the agency dashboard and the Council view.

One grouped count over the tickets reported in the period, read from an index that covers
it (creation time, with the channel, kind and agency), so its cost follows the period's
tickets, not the whole history, and visits none of them.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, QuerySet

from agencies.models import Agency
from tickets.models import Ticket


def _bounds(start: date, end: date, time_zone: str) -> tuple[datetime, datetime]:
    zone = ZoneInfo(time_zone)
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


def tickets_by_channel(
    *, start: date, end: date, time_zone: str, agencies: QuerySet[Agency] | Agency
) -> list[tuple[str, int, float | None]]:
    """(channel label, tickets reported, share in %) for every channel, in the channels'
    order, for tickets handled by `agencies` (one agency, or a queryset of them)."""
    since, until = _bounds(start, end, time_zone)
    tickets = Ticket.objects.filter(
        created_at__gte=since, created_at__lt=until, kind=Ticket.Kind.INCIDENT
    )
    if isinstance(agencies, Agency):
        tickets = tickets.filter(agency=agencies)
    else:
        tickets = tickets.filter(agency__in=agencies)
    # count(*), not of a column: the covering indexes of tickets answer it without the table.
    counts = dict(tickets.values_list("channel").annotate(count=Count("*")).order_by())
    total = sum(counts.values())
    return [
        (
            label,
            counts.get(value, 0),
            round(100 * counts.get(value, 0) / total, 1) if total else None,
        )
        for value, label in Ticket.Channel.choices
    ]
