"""Reads of satisfaction for the dashboards: answers count for the agency that held the ticket
when it was resolved (`Survey.agency`), on the day they were given."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Q
from django.db.models.functions import TruncWeek

from satisfaction.models import Survey


def share(part: int, whole: int) -> float | None:
    """A percentage with one decimal; None when there is nothing to divide."""
    return round(100 * part / whole, 1) if whole else None


def _bounds(start: date, end: date, time_zone: str) -> tuple[datetime, datetime]:
    zone = ZoneInfo(time_zone)
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


def _answered(start: date, end: date, time_zone: str):
    since, until = _bounds(start, end, time_zone)
    return Survey.objects.filter(answered_at__gte=since, answered_at__lt=until)


def satisfaction_of_agency(*, agency, start: date, end: date) -> dict:
    """The agency's answers in the period, the share good, and week by week: one query."""
    weeks = list(
        _answered(start, end, agency.time_zone)
        .filter(agency=agency)
        .annotate(week=TruncWeek("answered_at", tzinfo=ZoneInfo(agency.time_zone)))
        .values("week")
        .annotate(answers=Count("pk"), good=Count("pk", filter=Q(rating=Survey.Rating.GOOD)))
        .order_by("week")
    )
    answers = sum(row["answers"] for row in weeks)
    good = sum(row["good"] for row in weeks)
    return {
        "answers": answers,
        "good": good,
        "bad": answers - good,
        "share_good": share(good, answers),
        "trend": [
            {
                "week": row["week"].date(),
                "answers": row["answers"],
                "share_good": share(row["good"], row["answers"]),
            }
            for row in weeks
        ],
    }


def satisfaction_by_agency(agency_ids, *, start: date, end: date, time_zone: str) -> dict:
    """Each agency's answers and share good in the period: one query."""
    rows = (
        _answered(start, end, time_zone)
        .filter(agency__in=agency_ids)
        .values("agency_id")
        .annotate(answers=Count("pk"), good=Count("pk", filter=Q(rating=Survey.Rating.GOOD)))
        .order_by()
    )
    return {
        row["agency_id"]: {
            "answers": row["answers"],
            "share_good": share(row["good"], row["answers"]),
        }
        for row in rows
    }
