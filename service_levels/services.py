"""Every write to business calendars, holidays, service-level policies and escalation levels.

One function per change, each in one transaction with an audit entry. `agency=None` means the
government's own: the national calendar, or the default service levels. A refusal raises
ValidationError before anything is written, so the configuration in force stays as it was.

Every change that moves a clock (hours, holidays, time zone, targets, levels) also records a
recompute of the scope's open tickets in the same transaction: a worker then moves their due
times and next escalation, in batches (tickets.sla_recompute). Nothing is recomputed if the
change is refused or rolled back.

One time zone per agency: the agency's own (Agency.time_zone). Its calendar's hours, its due
times, its dashboard days and its e-mail all use it; the calendar page sets that same field.
"""

import datetime as dt
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import User
from agencies.models import Agency, validate_time_zone
from core.audit import audit_record
from core.pending_work import Run, pending_work_record
from service_levels.business_time import Schedule, ScheduleError
from service_levels.models import (
    BusinessCalendar,
    EscalationLevel,
    Holiday,
    SLAPolicy,
    SLARecompute,
    default_weekly_hours,
)
from service_levels.selectors import PRIORITIES

MAX_AUTO_CLOSE_DAYS = 60
# A target beyond a year is a typing slip: a service level is hours or days.
MAX_TARGET_MINUTES = 366 * 24 * 60
# The pending-work topic of a recompute; tickets.sla_recompute does the work.
RECOMPUTE_TOPIC = "service_levels.recompute"


# -- Recomputing open tickets ------------------------------------------------------------------


def sla_recompute_request(*, agency: Agency | None, reason: str) -> SLARecompute:
    """Records, in the current transaction, that the scope's open tickets (every agency's for
    the government's own rules) must follow the rules now in force; a worker does it after
    the commit. A recompute of the scope still waiting to start takes this change too."""
    waiting = (
        SLARecompute.objects.select_for_update()
        .filter(agency=agency, state=SLARecompute.State.QUEUED, after_ticket=0)
        .order_by("-requested_at")
        .first()
    )
    if waiting is not None:
        return waiting
    recompute = SLARecompute.objects.create(
        agency=agency, reason=reason, requested_at=timezone.now()
    )
    pending_work_record(
        items=[(RECOMPUTE_TOPIC, {"recompute": recompute.pk, "after": 0}, Run.TASK)]
    )
    return recompute


# -- Calendars ---------------------------------------------------------------------------------


def _scope_name(agency: Agency | None) -> str:
    return agency.code if agency is not None else _("the national calendar")


def _hours_in_force(agency: Agency | None) -> dict:
    """What the clock uses for a scope without a calendar of its own (tickets.sla)."""
    if agency is not None:
        national = BusinessCalendar.objects.filter(agency__isnull=True).first()
        if national is not None:
            return {"time_zone": agency.time_zone, "weekly_hours": national.weekly_hours}
        return {"time_zone": agency.time_zone, "weekly_hours": default_weekly_hours()}
    return {"time_zone": settings.TIME_ZONE, "weekly_hours": default_weekly_hours()}


def _calendar_locked(agency: Agency | None) -> tuple[BusinessCalendar, bool]:
    """The scope's calendar row, locked, and whether it was made now. It is made on first use
    with the hours already in force, so that adding a holiday does not change an agency's
    hours."""
    calendars = BusinessCalendar.objects.select_for_update()
    calendar = calendars.filter(agency=agency).first()
    if calendar is not None:
        return calendar, False
    calendar, created = BusinessCalendar.objects.get_or_create(
        agency=agency, defaults=_hours_in_force(agency)
    )
    return calendars.get(pk=calendar.pk), created


def weekly_hours_check(time_zone: str, weekly: Mapping) -> dict[str, list[list[int]]]:
    """The week as stored ({"0": [[480, 720], [780, 1020]], ...}, closed days left out), after
    the checks of service_levels.business_time; ValidationError with the reason otherwise."""
    validate_time_zone(time_zone)
    normalised: dict[int, tuple[tuple[int, int], ...]] = {}
    try:
        for day, intervals in weekly.items():
            pairs = sorted((int(start), int(end)) for start, end in intervals)
            if pairs:
                normalised[int(day)] = tuple(pairs)
    except (TypeError, ValueError):
        raise ValidationError(_("Open hours are pairs of minutes of the day.")) from None
    if not normalised:
        raise ValidationError(
            _(
                "Enter the open hours of at least one day: a calendar that is never open "
                "would never count any time."
            ),
            code="closed_week",
        )
    try:
        Schedule(time_zone, normalised)
    except ScheduleError:
        raise ValidationError(
            _(
                "Each interval must start before it ends, within the day (00:00 to 24:00), and "
                "the intervals of one day must not overlap."
            ),
            code="intervals",
        ) from None
    return {str(day): [list(pair) for pair in pairs] for day, pairs in sorted(normalised.items())}


@transaction.atomic
def calendar_set_hours(
    *,
    agency: Agency | None,
    time_zone: str,
    weekly_hours: Mapping[int | str, Iterable[tuple[int, int]]],
    actor: User,
) -> BusinessCalendar:
    """Sets the scope's time zone and weekly open hours, making its calendar if it has none.

    For an agency the time zone is the agency's own, one field for its calendar, due times,
    dashboard and e-mail: setting it here sets it there, and the calendar row keeps a copy.
    """
    stored = weekly_hours_check(time_zone, weekly_hours)
    calendar, created = _calendar_locked(agency)
    zone_before = calendar.time_zone
    if agency is not None:
        agency = Agency.objects.select_for_update().get(pk=agency.pk)
        zone_before = agency.time_zone
    before = {"time_zone": zone_before, "weekly_hours": calendar.weekly_hours}
    if before == {"time_zone": time_zone, "weekly_hours": stored} and not created:
        return calendar
    if agency is not None and agency.time_zone != time_zone:
        agency.time_zone = time_zone
        agency.save(update_fields=["time_zone"])
    calendar.time_zone, calendar.weekly_hours = time_zone, stored
    calendar.save(update_fields=["time_zone", "weekly_hours", "updated_at"])
    sla_recompute_request(agency=agency, reason="hours")
    audit_record(
        actor=actor,
        action="calendar.hours_changed",
        target=calendar,
        agency=agency,
        before=before,
        after={"time_zone": time_zone, "weekly_hours": stored},
        # Until now the scope followed the hours in force elsewhere (see _hours_in_force).
        calendar_created=created or None,
    )
    return calendar


def _day_label(day: dt.date, yearly: bool) -> str:
    return date_format(day, "j F" if yearly else "j F Y")


def _holiday_clash(holidays: Iterable[Holiday], day: dt.date, recurs_yearly: bool):
    for holiday in holidays:
        same_day_of_year = (holiday.date.month, holiday.date.day) == (day.month, day.day)
        if holiday.date == day or (same_day_of_year and (holiday.recurs_yearly or recurs_yearly)):
            return holiday
    return None


@transaction.atomic
def calendar_add_holiday(
    *, agency: Agency | None, date: dt.date, name: str, recurs_yearly: bool, actor: User
) -> Holiday:
    """Adds a holiday to the scope's calendar.

    Refused when that calendar (or, for an agency, the national one) already closes that day:
    the same date, or the same day and month where either holiday comes every year.
    """
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Enter the name of the holiday.")})
    calendar, created = _calendar_locked(agency)
    nearby = Holiday.objects.filter(
        Q(calendar=calendar) | Q(calendar__agency__isnull=True), date__month=date.month
    ).select_related("calendar")
    own = [h for h in nearby if h.calendar_id == calendar.pk]
    national = [h for h in nearby if h.calendar_id != calendar.pk]
    clash = _holiday_clash(own, date, recurs_yearly)
    if clash is not None:
        raise ValidationError(
            {
                "date": _("%(calendar)s already has a holiday on %(date)s: %(name)s.")
                % {
                    "calendar": _scope_name(agency),
                    "date": _day_label(clash.date, clash.recurs_yearly),
                    "name": clash.name,
                }
            }
        )
    clash = _holiday_clash(national, date, recurs_yearly)
    if clash is not None:
        raise ValidationError(
            {
                "date": _(
                    "%(date)s is already a national holiday, %(name)s, which this agency inherits."
                )
                % {"date": _day_label(clash.date, clash.recurs_yearly), "name": clash.name}
            }
        )
    try:
        with transaction.atomic():
            holiday = Holiday.objects.create(
                calendar=calendar, date=date, name=name, recurs_yearly=recurs_yearly
            )
    except IntegrityError:  # pragma: no cover - the calendar's lock serialises adders
        raise ValidationError(
            {"date": _("This calendar already has a holiday on that date.")}
        ) from None
    sla_recompute_request(agency=agency, reason="holiday_added")
    audit_record(
        actor=actor,
        action="calendar.holiday_added",
        target=calendar,
        agency=agency,
        date=date.isoformat(),
        name=name,
        recurs_yearly=recurs_yearly,
        calendar_created=created or None,
    )
    return holiday


@transaction.atomic
def calendar_remove_holiday(*, holiday: Holiday, actor: User) -> None:
    calendar = (
        BusinessCalendar.objects.select_for_update(of=("self",))
        .select_related("agency")
        .get(pk=holiday.calendar_id)
    )
    deleted, _rows = Holiday.objects.filter(pk=holiday.pk).delete()
    if not deleted:
        return  # removed a moment ago by someone else
    sla_recompute_request(agency=calendar.agency, reason="holiday_removed")
    audit_record(
        actor=actor,
        action="calendar.holiday_removed",
        target=calendar,
        agency=calendar.agency,
        date=holiday.date.isoformat(),
        name=holiday.name,
        recurs_yearly=holiday.recurs_yearly,
    )


@transaction.atomic
def agency_set_auto_close(*, agency: Agency, days: int, actor: User) -> Agency:
    """How many business days a resolved ticket waits for the requester before it closes."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_AUTO_CLOSE_DAYS:
        raise ValidationError(
            {"auto_close_days": _("Enter a number of business days from 1 to 60.")}
        )
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    old = agency.auto_close_days
    if old == days:
        return agency
    agency.auto_close_days = days
    agency.save(update_fields=["auto_close_days"])
    audit_record(
        actor=actor, action="agency.auto_close_changed", target=agency, agency=agency,
        old=old, new=days,
    )  # fmt: skip
    return agency


# -- Service levels ----------------------------------------------------------------------------


def _targets_check(response_minutes, resolution_minutes) -> None:
    errors = {}
    for field, value in (
        ("response_minutes", response_minutes),
        ("resolution_minutes", resolution_minutes),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            errors[field] = _("Enter a target of at least one minute.")
        elif value > MAX_TARGET_MINUTES:
            errors[field] = _("Enter a target of at most a year (8,784 hours).")
    if not errors and resolution_minutes < response_minutes:
        errors["resolution_minutes"] = _(
            "The resolution target cannot be shorter than the first response target."
        )
    if errors:
        raise ValidationError(errors)


POLICY_FIELDS = ("response_minutes", "resolution_minutes", "business_hours", "pause_on_hold")
LEVEL_FIELDS = ("clock", "percent", "notify", "marks_breach", "raise_priority", "reassign_to_lead")


@transaction.atomic
def sla_policy_save(
    *,
    agency: Agency | None,
    priority: str,
    response_minutes: int,
    resolution_minutes: int,
    business_hours: bool,
    pause_on_hold: bool,
    actor: User,
) -> SLAPolicy:
    """Sets the scope's policy for one priority, making it if the scope has none.

    An agency's first own policy for a priority starts with the government default's
    escalation levels, so that taking over the targets does not silently drop the breach
    marking and notices the default had.
    """
    if priority not in PRIORITIES:
        raise ValidationError(_("Choose a priority from P1 to P4."))
    _targets_check(response_minutes, resolution_minutes)
    values = {
        "response_minutes": response_minutes,
        "resolution_minutes": resolution_minutes,
        "business_hours": bool(business_hours),
        "pause_on_hold": bool(pause_on_hold),
    }
    policy = (
        SLAPolicy.objects.select_for_update(of=("self",))
        .filter(agency=agency, priority=priority)
        .first()
    )
    if policy is not None:
        before = {field: getattr(policy, field) for field in POLICY_FIELDS}
        if before == values:
            return policy
        for field, value in values.items():
            setattr(policy, field, value)
        policy.save(update_fields=[*POLICY_FIELDS, "updated_at"])
        sla_recompute_request(agency=agency, reason="policy")
        audit_record(
            actor=actor, action="sla_policy.updated", target=policy, agency=agency,
            priority=priority, before=before, after=values,
        )  # fmt: skip
        return policy
    try:
        with transaction.atomic():
            policy = SLAPolicy.objects.create(agency=agency, priority=priority, **values)
    except IntegrityError:  # another admin made it a moment ago
        raise ValidationError(
            _("A policy for %(priority)s was set a moment ago: reload the page to see it.")
            % {"priority": priority}
        ) from None
    copied = []
    if agency is not None:
        default = SLAPolicy.objects.filter(agency__isnull=True, priority=priority).first()
        if default is not None:
            copied = [
                EscalationLevel(
                    policy=policy,
                    **{f: getattr(level, f) for f in LEVEL_FIELDS},
                )
                for level in default.levels.order_by("percent", "clock", "pk")
            ]
            EscalationLevel.objects.bulk_create(copied)
    sla_recompute_request(agency=agency, reason="policy")
    audit_record(
        actor=actor, action="sla_policy.created", target=policy, agency=agency,
        priority=priority, after=values, levels=[_level_data(level) for level in copied],
    )  # fmt: skip
    return policy


def _level_data(level: EscalationLevel) -> dict:
    return {field: getattr(level, field) for field in LEVEL_FIELDS}


def _level_check(policy: SLAPolicy, level: EscalationLevel) -> None:
    errors = {}
    if level.clock not in EscalationLevel.Clock.values:
        errors["clock"] = _("Choose first response or resolution.")
    if level.notify not in EscalationLevel.Notify.values:
        errors["notify"] = _("Choose whom to notify from the list.")
    percent = level.percent
    if isinstance(percent, bool) or not isinstance(percent, int) or not 1 <= percent <= 500:
        errors["percent"] = _("Enter a percentage of the target from 1 to 500.")
    elif level.marks_breach and percent < 100:
        errors["marks_breach"] = _(
            "Only a level at 100%% or more marks the breach: %(percent)s%% is before it."
        ) % {"percent": percent}
    if errors:
        raise ValidationError(errors)
    # One level per clock and percentage: the sweep takes the levels one after another in
    # the order they fall due, and two at the same moment of the same clock have no order.
    twin = policy.levels.filter(clock=level.clock, percent=percent).first()
    if twin is not None:
        raise ValidationError(
            {
                "percent": _(
                    "This policy already has a %(clock)s level at %(percent)s%%: change the "
                    "percentage, or remove that level first."
                )
                % {"clock": twin.get_clock_display().lower(), "percent": percent}
            }
        )


@transaction.atomic
def escalation_level_add(
    *,
    policy: SLAPolicy,
    clock: str,
    percent: int,
    notify: str,
    actor: User,
    marks_breach: bool = False,
    raise_priority: bool = False,
    reassign_to_lead: bool = False,
) -> EscalationLevel:
    policy = (
        SLAPolicy.objects.select_for_update(of=("self",)).select_related("agency").get(pk=policy.pk)
    )
    level = EscalationLevel(
        policy=policy,
        clock=clock,
        percent=percent,
        notify=notify,
        marks_breach=bool(marks_breach),
        raise_priority=bool(raise_priority),
        reassign_to_lead=bool(reassign_to_lead),
    )
    _level_check(policy, level)
    level.save()
    sla_recompute_request(agency=policy.agency, reason="levels")
    audit_record(
        actor=actor, action="escalation_level.added", target=policy, agency=policy.agency,
        priority=policy.priority, **_level_data(level),
    )  # fmt: skip
    return level


@transaction.atomic
def escalation_level_remove(*, level: EscalationLevel, actor: User) -> None:
    policy = (
        SLAPolicy.objects.select_for_update(of=("self",))
        .select_related("agency")
        .get(pk=level.policy_id)
    )
    deleted, _rows = EscalationLevel.objects.filter(pk=level.pk).delete()
    if not deleted:
        return  # removed a moment ago by someone else
    sla_recompute_request(agency=policy.agency, reason="levels")
    audit_record(
        actor=actor, action="escalation_level.removed", target=policy, agency=policy.agency,
        priority=policy.priority, **_level_data(level),
    )  # fmt: skip
