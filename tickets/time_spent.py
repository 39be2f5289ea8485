"""Time spent on tickets: minutes an agent records with a reply or a note, or on their own.

`time_entry_add` runs inside the caller's transaction (the reply's or note's), so the minutes
and the message are saved together or not at all. Reads of the totals are here too: they are
figures about the ticket, shown to those who work it.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from agencies.models import Agency
from tickets.events import Quiet, event_record
from tickets.models import Ticket, TicketEvent, TimeEntry


def minutes_check(minutes) -> int | None:
    """The minutes as a whole number from 1 to 1,440 (a day), or None when none are given;
    a ValidationError on the `minutes` field otherwise."""
    if minutes in (None, ""):
        return None
    if isinstance(minutes, bool):
        raise ValidationError({"minutes": _("Enter the minutes as a whole number.")})
    try:
        value = int(minutes)
    except (TypeError, ValueError):
        raise ValidationError({"minutes": _("Enter the minutes as a whole number.")}) from None
    if value != minutes and str(value) != str(minutes).strip():
        raise ValidationError({"minutes": _("Enter the minutes as a whole number.")})
    if value < 1:
        raise ValidationError({"minutes": _("Enter at least 1 minute, or leave it empty.")})
    if value > TimeEntry.MAX_MINUTES:
        raise ValidationError(
            {"minutes": _("Enter at most %(max)d minutes (24 hours) for one entry.")
             % {"max": TimeEntry.MAX_MINUTES}}
        )  # fmt: skip
    return value


def time_entry_add(
    *,
    ticket: Ticket,
    agent: User,
    minutes: int,
    quiet: Quiet = Quiet.NONE,
    at=None,
) -> TimeEntry:
    """Records `minutes` on a ticket the caller has already locked, with its internal event.
    Call inside the change's transaction."""
    minutes = minutes_check(minutes)
    if minutes is None:
        raise ValidationError({"minutes": _("Enter the minutes spent.")})
    at = at or timezone.now()
    event = event_record(
        ticket,
        TicketEvent.Kind.TIME,
        agent,
        public=False,
        quiet=quiet,
        at=at,
        minutes=minutes,
    )
    return TimeEntry.objects.create(
        ticket=ticket,
        event=event,
        agent=agent,
        agency_id=ticket.agency_id,
        requester_agency_id=ticket.requester_agency_id,
        category_id=ticket.category_id,
        minutes=minutes,
        created_at=at,
    )


@transaction.atomic
def ticket_time_record(
    *, ticket: Ticket, agent: User, minutes, quiet: Quiet = Quiet.NONE
) -> TimeEntry:
    """Minutes recorded on their own (the API's time entries), without a message."""
    minutes = minutes_check(minutes)
    if minutes is None:
        raise ValidationError({"minutes": _("Enter the minutes spent.")})
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if locked.status == Ticket.Status.CLOSED:
        raise ValidationError(_("This ticket is closed: reopen it before changing it."))
    return time_entry_add(ticket=locked, agent=agent, minutes=minutes, quiet=quiet)


def ticket_time_totals(ticket: Ticket) -> list[dict]:
    """Minutes spent on the ticket per agency, the agency that spent most first: one query."""
    return list(
        TimeEntry.objects.filter(ticket=ticket)
        .values("agency__code", "agency__name")
        .annotate(minutes=Sum("minutes"))
        .order_by("-minutes", "agency__code")
    )


def _day_bounds(start, end, time_zone: str):
    """[start, end] as local days of `time_zone`, as aware instants [from, until)."""
    zone = ZoneInfo(time_zone)
    since = datetime.combine(start, time.min, tzinfo=zone)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
    return since, until


def agency_time_spent(*, agency_id: int, start, end, time_zone: str) -> list[dict]:
    """Minutes the agency's staff recorded in the days from `start` to `end`, per category and
    agent, most first: one query over the agency's entries of the period (an index range)."""
    since, until = _day_bounds(start, end, time_zone)
    return list(
        TimeEntry.objects.filter(agency=agency_id, created_at__gte=since, created_at__lt=until)
        .values("category__name", "agent__full_name", "agent__email")
        .annotate(minutes=Sum("minutes"))
        .order_by("-minutes", "category__name", "agent__email")
    )


def shared_service_effort(*, start, end, time_zone: str) -> list[dict]:
    """Minutes each shared-service agency's staff spent on other agencies' tickets, per
    agency served, in the days from `start` to `end`: one query."""
    since, until = _day_bounds(start, end, time_zone)
    return list(
        TimeEntry.objects.filter(
            agency__kind=Agency.Kind.SHARED_SERVICE,
            created_at__gte=since,
            created_at__lt=until,
            requester_agency__isnull=False,
        )
        .exclude(requester_agency=F("agency"))
        .values("agency__code", "agency__name", "requester_agency__code", "requester_agency__name")
        .annotate(minutes=Sum("minutes"), tickets=Count("ticket", distinct=True))
        .order_by("agency__code", "-minutes", "requester_agency__code")
    )
