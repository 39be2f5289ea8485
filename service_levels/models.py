"""Calendars, holidays, the service-level policies and their escalation levels; Priority."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, validate_time_zone


def default_weekly_hours() -> dict[str, list[list[int]]]:
    """Monday to Friday, 08:00 to 17:00, in minutes of the day."""
    return {str(day): [[8 * 60, 17 * 60]] for day in range(5)}


class Priority(models.TextChoices):
    """A ticket's priority, from its impact and urgency; service levels are set per priority."""

    P1 = "P1", _("P1 – critical")
    P2 = "P2", _("P2 – high")
    P3 = "P3", _("P3 – medium")
    P4 = "P4", _("P4 – low")


class BusinessCalendar(models.Model):
    """Working hours and holidays. The one with no agency is the government's: its holidays
    are national and every agency's calendar inherits them."""

    agency = models.OneToOneField(
        Agency,
        verbose_name=_("agency"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="calendar",
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    # {"0": [[480, 1020]], ...}: weekday (Monday 0) -> [start minute, end minute] intervals.
    weekly_hours = models.JSONField(_("weekly open hours"), default=default_weekly_hours)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        constraints = [
            models.UniqueConstraint(
                fields=["agency"],
                nulls_distinct=False,
                name="businesscalendar_one_per_agency_and_one_national",
            ),
        ]

    def __str__(self) -> str:
        return self.agency.code if self.agency_id else "national"


class Holiday(models.Model):
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=120)
    recurs_yearly = models.BooleanField(
        _("every year"), default=False, help_text=_("Closed on this day and month every year.")
    )

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["calendar", "date"],
                name="holiday_once_per_date",
                violation_error_message=_("This calendar already has a holiday on that date."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class SLAPolicy(models.Model):
    """The service level for one priority: the agency's own, or the government's default."""

    agency = models.ForeignKey(
        Agency,
        verbose_name=_("agency"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sla_policies",
        help_text=_("Empty for the government-wide default."),
    )
    priority = models.CharField(_("priority"), max_length=2, choices=[
        (priority, priority) for priority in Priority.values
    ])  # fmt: skip
    response_minutes = models.PositiveIntegerField(_("first response target (minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution target (minutes)"))
    business_hours = models.BooleanField(
        _("counted in business hours"),
        default=True,
        help_text=_("Off: counted around the clock, every day."),
    )
    pause_on_hold = models.BooleanField(
        _("pause while on hold"),
        default=False,
        help_text=_("Waiting for the requester always pauses the clock."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("service level policy")
        verbose_name_plural = _("service level policies")
        ordering = ["agency__code", "priority"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "priority"],
                nulls_distinct=False,
                name="slapolicy_one_per_agency_and_priority",
                violation_error_message=_("A policy for this priority exists already."),
            ),
            models.CheckConstraint(
                condition=models.Q(response_minutes__gt=0, resolution_minutes__gt=0),
                name="slapolicy_targets_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency.code if self.agency_id else 'default'} {self.priority}"


class EscalationLevel(models.Model):
    """What happens when a clock reaches a share of its target."""

    class Clock(models.TextChoices):
        RESPONSE = "response", _("First response")
        RESOLUTION = "resolution", _("Resolution")

    class Notify(models.TextChoices):
        ASSIGNEE_OR_TEAM = "assignee_or_team", _("The assignee, or the team if unassigned")
        TEAM = "team", _("The team")
        TEAM_LEAD_AND_ADMINS = "lead_and_admins", _("The team lead and the agency admins")

    policy = models.ForeignKey(SLAPolicy, on_delete=models.CASCADE, related_name="levels")
    clock = models.CharField(_("clock"), max_length=12, choices=Clock.choices)
    percent = models.PositiveSmallIntegerField(
        _("at % of the target"), help_text=_("100 is the moment of the breach.")
    )
    notify = models.CharField(_("notify"), max_length=20, choices=Notify.choices)
    marks_breach = models.BooleanField(_("marks the breach"), default=False)
    raise_priority = models.BooleanField(_("raises the priority one step"), default=False)
    reassign_to_lead = models.BooleanField(_("reassigns to the team lead"), default=False)

    class Meta:
        verbose_name = _("escalation level")
        ordering = ["percent", "clock"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(percent__gte=1, percent__lte=500),
                name="escalationlevel_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.clock} {self.percent}%"


class SLARecompute(models.Model):
    """A pass over open tickets after their rules changed, and what it moved.

    One pass per change of a calendar, its holidays or hours, a policy's targets or an
    agency's time zone. `agency` empty: every agency (the national calendar or the default
    service levels changed). The pass runs in batches of tickets by id, `after_ticket` being
    the last id done, so a batch redelivered after a crash does nothing twice.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=40)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    requested_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    after_ticket = models.PositiveBigIntegerField(default=0)
    checked = models.PositiveIntegerField(default=0)
    moved = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("service level recompute")
        indexes = [models.Index(fields=["agency", "-requested_at"], name="slarecompute_latest")]

    def __str__(self) -> str:
        scope = self.agency.code if self.agency_id else "national"
        return f"{scope} {self.reason} {self.state}"
