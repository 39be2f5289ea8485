"""Reads of business calendars and service levels, for the people who configure them.

An agency admin configures their own agency's calendar and service levels; a platform admin
those of every agency, and the government's own: the national calendar, whose holidays every
agency inherits, and the default service levels that apply where an agency has none. Another
agency's code is a 404, as everywhere, and so is every page and form to anyone without the
right to configure it: the agency's own staff without the right, and anyone but a platform
admin on the government's pages.

What the pages show as "in force" is what the SLA clock uses (tickets.sla.schedule_for_agency
and tickets.sla.policy_for): an agency's own calendar, else the national one, else office hours
in the agency's time zone; an agency's own policy for a priority, else the government default.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Prefetch, Q
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import Membership
from accounts.permissions import Right, membership_has_right
from agencies.models import Agency
from service_levels.models import (
    BusinessCalendar,
    EscalationLevel,
    Holiday,
    Priority,
    SLAPolicy,
    SLARecompute,
    default_weekly_hours,
)

PRIORITIES = tuple(Priority.values)


def may_configure_government(membership: Membership | None) -> bool:
    """Whether acting as `membership` sets the national calendar and the default levels."""
    return membership_has_right(membership, Right.MANAGE_AGENCIES)


def agency_get_for_configuring(membership: Membership | None, code: str) -> Agency:
    """The agency `code` if acting as `membership` may configure it.

    404 for a missing agency, for another agency's, and for the agency's own people whose
    role does not configure it: an edit without the right finds nothing to edit.
    """
    agency = Agency.objects.filter(code=code.upper()).first()
    if agency is None:
        raise Http404
    if membership_has_right(membership, Right.CONFIGURE_AGENCY, agency):
        return agency
    raise Http404


# -- Calendars ---------------------------------------------------------------------------------


@dataclass
class CalendarInForce:
    """One scope's calendar (an agency's, or the national one when `agency` is None)."""

    agency: Agency | None
    own: BusinessCalendar | None
    national: BusinessCalendar | None
    holidays: list[Holiday] = field(default_factory=list)
    # Inherited from the national calendar: shown read-only on an agency's page.
    national_holidays: list[Holiday] = field(default_factory=list)

    @property
    def inherits_hours(self) -> bool:
        return self.agency is not None and self.own is None

    @property
    def source(self) -> BusinessCalendar | None:
        """The calendar whose hours are in force, if any row is."""
        if self.own is not None:
            return self.own
        return self.national if self.agency is not None else None

    @property
    def time_zone(self) -> str:
        """An agency's own, whichever calendar's hours it keeps; the national calendar's on
        the government's page."""
        if self.agency is not None:
            return self.agency.time_zone
        return self.source.time_zone if self.source is not None else settings.TIME_ZONE

    @property
    def weekly_hours(self) -> dict[str, list[list[int]]]:
        return self.source.weekly_hours if self.source is not None else default_weekly_hours()


def calendar_in_force(agency: Agency | None) -> CalendarInForce:
    """The scope's calendar, the national one and their holidays, in two queries."""
    scope = Q(agency__isnull=True) if agency is None else Q(agency=agency) | Q(agency__isnull=True)
    calendars = {c.agency_id: c for c in BusinessCalendar.objects.filter(scope)}
    own_key = agency.pk if agency is not None else None
    view = CalendarInForce(
        agency=agency,
        own=calendars.get(own_key),
        national=calendars.get(None) if agency is not None else None,
    )
    if calendars:
        for holiday in Holiday.objects.filter(calendar__in=calendars.values()).order_by(
            "date", "name"
        ):
            if holiday.calendar_id == getattr(view.own, "pk", None):
                view.holidays.append(holiday)
            else:
                view.national_holidays.append(holiday)
    return view


def holiday_get_in_scope(agency: Agency | None, holiday_id) -> Holiday:
    """A holiday of the scope's own calendar; 404 for any other, the national ones included
    when the scope is an agency."""
    holidays = Holiday.objects.select_related("calendar")
    if agency is None:
        holidays = holidays.filter(calendar__agency__isnull=True)
    else:
        holidays = holidays.filter(calendar__agency=agency)
    holiday = holidays.filter(pk=_id(holiday_id)).first()
    if holiday is None:
        raise Http404
    return holiday


def _id(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


# -- Service levels ----------------------------------------------------------------------------


def minutes_display(minutes: float) -> str:
    """A target in words: "4 h 30 min", "45 h", "30 min"."""
    hours, rest = divmod(round(minutes), 60)
    if hours and rest:
        return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": rest}
    if hours:
        return _("%(hours)s h") % {"hours": hours}
    return _("%(minutes)s min") % {"minutes": rest}


@dataclass
class LevelRow:
    level: EscalationLevel
    # The share of the target in words: when the level falls due on a clock that started now.
    after: str


@dataclass
class ServiceLevelRow:
    """One priority of a scope: its own policy, and (on an agency's page) the default."""

    priority: str
    label: str
    own: SLAPolicy | None
    default: SLAPolicy | None

    @property
    def in_force(self) -> SLAPolicy | None:
        return self.own or self.default

    @property
    def inherited(self) -> bool:
        return self.own is None and self.default is not None

    @property
    def response_display(self) -> str:
        return minutes_display(self.in_force.response_minutes) if self.in_force else ""

    @property
    def resolution_display(self) -> str:
        return minutes_display(self.in_force.resolution_minutes) if self.in_force else ""

    @property
    def levels(self) -> list[LevelRow]:
        """The levels in force, in the order they fall due (as tickets.sla.levels_of sorts)."""
        policy = self.in_force
        if policy is None:
            return []
        rows = []
        for level in policy.levels.all():
            target = (
                policy.response_minutes
                if level.clock == EscalationLevel.Clock.RESPONSE
                else policy.resolution_minutes
            )
            rows.append((target * level.percent, level.pk, level))
        return [
            LevelRow(level, minutes_display(threshold / 100))
            for threshold, _pk, level in sorted(rows, key=lambda row: row[:2])
        ]


def service_levels_in_force(agency: Agency | None) -> dict[str, ServiceLevelRow]:
    """P1 to P4 for the scope, with their levels, in two queries."""
    scope = Q(agency__isnull=True) if agency is None else Q(agency=agency) | Q(agency__isnull=True)
    policies = SLAPolicy.objects.filter(scope).prefetch_related(
        Prefetch("levels", queryset=EscalationLevel.objects.order_by("percent", "clock", "pk"))
    )
    own_key = agency.pk if agency is not None else None
    by_scope: dict[tuple[int | None, str], SLAPolicy] = {
        (p.agency_id, p.priority): p for p in policies
    }
    labels = dict(Priority.choices)
    return {
        priority: ServiceLevelRow(
            priority=priority,
            label=labels[priority],
            own=by_scope.get((own_key, priority)),
            default=by_scope.get((None, priority)) if agency is not None else None,
        )
        for priority in PRIORITIES
    }


def level_get_in_scope(agency: Agency | None, level_id) -> EscalationLevel:
    """An escalation level of one of the scope's own policies; 404 for any other."""
    levels = EscalationLevel.objects.select_related("policy")
    if agency is None:
        levels = levels.filter(policy__agency__isnull=True)
    else:
        levels = levels.filter(policy__agency=agency)
    level = levels.filter(pk=_id(level_id)).first()
    if level is None:
        raise Http404
    return level


def recompute_latest(agency: Agency | None) -> SLARecompute | None:
    """The scope's latest recompute of open tickets, for its settings pages: one query."""
    return SLARecompute.objects.filter(agency=agency).order_by("-requested_at", "-pk").first()
