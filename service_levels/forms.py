"""Forms of the calendar and service-level pages.

They check what one field can say about itself: the syntax of open hours, a time that exists,
a number in range. The services check everything again, and what depends on stored data (a
holiday on a date already taken, a level that exists already).
"""

import re
from itertools import pairwise

from django import forms
from django.core.exceptions import ValidationError
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.forms import TIME_ZONE_CHOICES
from service_levels.business_time import MINUTES_PER_DAY
from service_levels.models import EscalationLevel
from service_levels.services import MAX_AUTO_CLOSE_DAYS

WEEKDAY_FIELDS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_DASH = re.compile(r"\s*[-–—]\s*")
MAX_TARGET_HOURS = 24 * 366


def minute_label(minute: int) -> str:
    """08:00 for 480; 24:00 for the end of the day."""
    hours, minutes = divmod(minute, 60)
    return f"{hours:02d}:{minutes:02d}"


def intervals_label(intervals) -> str:
    return ", ".join(f"{minute_label(start)}-{minute_label(end)}" for start, end in intervals)


def _minute(text: str) -> int | None:
    match = _TIME.match(text)
    if match is None:
        return None
    hours, minutes = int(match[1]), int(match[2])
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        return None
    return hours * 60 + minutes


def parse_intervals(text: str) -> list[tuple[int, int]]:
    """ "08:00-12:00, 13:00-17:00" as [(480, 720), (780, 1020)], in order; "" as [] (closed).

    Refuses a piece that is not two times, an interval that does not start before it ends,
    and intervals that overlap. Intervals may touch (12:00-13:00, 13:00-17:00) and may be
    written in any order.
    """
    intervals = []
    for piece in re.split(r"[,;]", text):
        piece = piece.strip()
        if not piece:
            continue
        times = _DASH.split(piece)
        minutes = [_minute(t) for t in times] if len(times) == 2 else [None]
        if None in minutes:
            raise ValidationError(
                _(
                    "“%(text)s” is not an interval of the day: write it as 08:00-12:00, with "
                    "times from 00:00 to 24:00, and separate intervals with commas."
                ),
                code="syntax",
                params={"text": piece},
            )
        start, end = minutes
        if not start < end <= MINUTES_PER_DAY:
            raise ValidationError(
                _("%(interval)s does not start before it ends."),
                code="reversed",
                params={"interval": piece},
            )
        intervals.append((start, end))
    intervals.sort()
    for (start, end), (next_start, next_end) in pairwise(intervals):
        if next_start < end:
            raise ValidationError(
                _("%(first)s and %(second)s overlap."),
                code="overlap",
                params={
                    "first": intervals_label([(start, end)]),
                    "second": intervals_label([(next_start, next_end)]),
                },
            )
    return intervals


class OpenHoursField(forms.CharField):
    """A day's open intervals as text; empty when the office is closed that day."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 200)
        super().__init__(**kwargs)
        self.widget.attrs.update({"spellcheck": "false", "autocomplete": "off"})

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return intervals_label(value)
        return value

    def clean(self, value) -> list[tuple[int, int]]:
        text = super().clean(value)
        return parse_intervals(text or "")


class CalendarForm(forms.Form):
    time_zone = forms.ChoiceField(
        label=gettext_lazy("Time zone"),
        choices=TIME_ZONE_CHOICES,
        help_text=gettext_lazy("The open hours below are in this time zone's local time."),
        error_messages={
            "invalid_choice": gettext_lazy(
                "Choose a time zone from the list, such as Africa/Monrovia."
            ),
            "required": gettext_lazy("Choose a time zone."),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for day, name in enumerate(WEEKDAY_FIELDS):
            self.fields[name] = OpenHoursField(label=WEEKDAYS[day])

    @classmethod
    def initial_from(cls, time_zone: str, weekly_hours: dict) -> dict:
        initial = {"time_zone": time_zone}
        for day, name in enumerate(WEEKDAY_FIELDS):
            initial[name] = [tuple(i) for i in weekly_hours.get(str(day), [])]
        return initial

    def weekday_fields(self):
        return [self[name] for name in WEEKDAY_FIELDS]

    def clean(self):
        cleaned = super().clean()
        if all(name in cleaned for name in WEEKDAY_FIELDS) and not any(
            cleaned[name] for name in WEEKDAY_FIELDS
        ):
            raise ValidationError(
                _(
                    "Enter the open hours of at least one day: a calendar that is never open "
                    "would never count any time."
                ),
                code="closed_week",
            )
        return cleaned

    def weekly_hours(self) -> dict[int, list[tuple[int, int]]]:
        return {
            day: self.cleaned_data[name]
            for day, name in enumerate(WEEKDAY_FIELDS)
            if self.cleaned_data[name]
        }


class AutoCloseForm(forms.Form):
    auto_close_days = forms.IntegerField(
        label=gettext_lazy("Close resolved tickets after this many business days"),
        min_value=1,
        max_value=MAX_AUTO_CLOSE_DAYS,
        help_text=gettext_lazy(
            "When the requester has not replied. From 1 to 60 days, counted in this agency's "
            "business days."
        ),
        error_messages={
            "required": gettext_lazy("Enter a number of business days from 1 to 60."),
            "invalid": gettext_lazy("Enter a whole number of business days, such as 5."),
            "min_value": gettext_lazy("Enter a number of business days from 1 to 60."),
            "max_value": gettext_lazy("Enter a number of business days from 1 to 60."),
        },
    )
    auto_close_days.widget.attrs.update({"inputmode": "numeric"})


class HolidayForm(forms.Form):
    date = forms.DateField(
        label=gettext_lazy("Date"),
        input_formats=["%Y-%m-%d"],
        # A text input in the hint's format: a browser's date picker shows the date in the
        # browser's own format (mm/dd/yyyy), which the hint would contradict.
        widget=forms.DateInput(
            attrs={"autocomplete": "off", "spellcheck": "false"}, format="%Y-%m-%d"
        ),
        help_text=gettext_lazy("Such as 2026-07-26."),
        error_messages={
            "required": gettext_lazy("Enter the date of the holiday."),
            "invalid": gettext_lazy(
                "Enter a real date as year, month and day, such as 2026-07-26."
            ),
        },
    )
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=120,
        help_text=gettext_lazy("Such as Independence Day."),
        error_messages={"required": gettext_lazy("Enter the name of the holiday.")},
    )
    recurs_yearly = forms.BooleanField(
        label=gettext_lazy("Every year on this day and month"), required=False
    )


def _target_field(label, maximum: int) -> forms.IntegerField:
    field = forms.IntegerField(label=label, min_value=0, max_value=maximum)
    field.widget.attrs.update({"inputmode": "numeric"})
    return field


class PolicyForm(forms.Form):
    """One priority's targets. Each target is entered as hours and minutes."""

    COUNTING_CHOICES = [
        ("business", gettext_lazy("In business hours, by the agency's calendar")),
        ("clock", gettext_lazy("Around the clock, every day")),
    ]

    response_hours = _target_field(gettext_lazy("Hours"), MAX_TARGET_HOURS)
    response_minutes = _target_field(gettext_lazy("Minutes"), 59)
    resolution_hours = _target_field(gettext_lazy("Hours"), MAX_TARGET_HOURS)
    resolution_minutes = _target_field(gettext_lazy("Minutes"), 59)
    counting = forms.ChoiceField(
        label=gettext_lazy("The clock counts"),
        choices=COUNTING_CHOICES,
        error_messages={
            "required": gettext_lazy("Choose how the clock counts."),
            "invalid_choice": gettext_lazy("Choose how the clock counts."),
        },
    )
    pause_on_hold = forms.BooleanField(
        label=gettext_lazy("Pause the clock while the ticket is on hold"),
        required=False,
        help_text=gettext_lazy("Waiting for the requester always pauses it."),
    )

    TARGETS = {
        "response": gettext_lazy("first response"),
        "resolution": gettext_lazy("resolution"),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.prefix:
            # The page shows every priority as a row of one table; a form cannot wrap a table
            # row, so each row's controls name their form (`policy-p1`) instead.
            for field in self.fields.values():
                field.widget.attrs["form"] = f"policy-{self.prefix}"
        # Messages that name the target, so that the error summary reads on its own.
        for target, name in self.TARGETS.items():
            hours, minutes = self.fields[f"{target}_hours"], self.fields[f"{target}_minutes"]
            hours.error_messages.update(
                required=_("Enter the hours of the %(target)s target, or 0.") % {"target": name},
                invalid=_("Enter the hours of the %(target)s target as a whole number, such as 4.")
                % {"target": name},
                min_value=_("The hours of the %(target)s target cannot be negative.")
                % {"target": name},
                max_value=_("The %(target)s target can be at most %(limit)s hours.")
                % {"target": name, "limit": MAX_TARGET_HOURS},
            )
            minutes.error_messages.update(
                required=_("Enter the minutes of the %(target)s target, or 0.") % {"target": name},
                invalid=_(
                    "Enter the minutes of the %(target)s target as a whole number from 0 to 59."
                )
                % {"target": name},
                min_value=_("Enter the minutes of the %(target)s target from 0 to 59.")
                % {"target": name},
                max_value=_("Enter the minutes of the %(target)s target from 0 to 59.")
                % {"target": name},
            )

    @property
    def target_pairs(self) -> list[tuple]:
        """Each target's hours and minutes, as the table's cells show them."""
        return [(self[f"{target}_hours"], self[f"{target}_minutes"]) for target in self.TARGETS]

    @classmethod
    def initial_from(cls, policy) -> dict:
        if policy is None:
            return {"counting": "business"}
        response_hours, response_minutes = divmod(policy.response_minutes, 60)
        resolution_hours, resolution_minutes = divmod(policy.resolution_minutes, 60)
        return {
            "response_hours": response_hours,
            "response_minutes": response_minutes,
            "resolution_hours": resolution_hours,
            "resolution_minutes": resolution_minutes,
            "counting": "business" if policy.business_hours else "clock",
            "pause_on_hold": policy.pause_on_hold,
        }

    def clean(self):
        cleaned = super().clean()
        totals = {}
        for target, name in self.TARGETS.items():
            hours, minutes = cleaned.get(f"{target}_hours"), cleaned.get(f"{target}_minutes")
            if hours is None or minutes is None:
                continue
            totals[target] = hours * 60 + minutes
            if totals[target] <= 0:
                self.add_error(
                    f"{target}_hours",
                    _("Enter a %(target)s target of at least one minute.") % {"target": name},
                )
            elif totals[target] > MAX_TARGET_HOURS * 60:
                self.add_error(
                    f"{target}_minutes",
                    _("The %(target)s target can be at most a year, %(limit)s hours.")
                    % {"target": name, "limit": MAX_TARGET_HOURS},
                )
        if (
            totals.get("response", 0) > 0
            and totals.get("resolution", 0) > 0
            and totals["resolution"] < totals["response"]
        ):
            self.add_error(
                "resolution_hours",
                _("The resolution target cannot be shorter than the first response target."),
            )
        return cleaned

    def policy_values(self) -> dict:
        data = self.cleaned_data
        return {
            "response_minutes": data["response_hours"] * 60 + data["response_minutes"],
            "resolution_minutes": data["resolution_hours"] * 60 + data["resolution_minutes"],
            "business_hours": data["counting"] == "business",
            "pause_on_hold": data["pause_on_hold"],
        }


class EscalationLevelForm(forms.Form):
    clock = forms.ChoiceField(
        label=gettext_lazy("Clock"),
        choices=EscalationLevel.Clock.choices,
        error_messages={
            "required": gettext_lazy("Choose first response or resolution."),
            "invalid_choice": gettext_lazy("Choose first response or resolution."),
        },
    )
    percent = forms.IntegerField(
        label=gettext_lazy("At this % of the target"),
        min_value=1,
        max_value=500,
        help_text=gettext_lazy("From 1 to 500. 100 is the moment of the breach."),
        error_messages={
            "required": gettext_lazy("Enter a percentage of the target from 1 to 500."),
            "invalid": gettext_lazy("Enter the percentage as a whole number, such as 75."),
            "min_value": gettext_lazy("Enter a percentage of the target from 1 to 500."),
            "max_value": gettext_lazy("Enter a percentage of the target from 1 to 500."),
        },
    )
    percent.widget.attrs.update({"inputmode": "numeric"})
    notify = forms.ChoiceField(
        label=gettext_lazy("Notify"),
        choices=EscalationLevel.Notify.choices,
        error_messages={
            "required": gettext_lazy("Choose whom to notify."),
            "invalid_choice": gettext_lazy("Choose whom to notify from the list."),
        },
    )
    marks_breach = forms.BooleanField(
        label=gettext_lazy("Marks the breach"),
        required=False,
        help_text=gettext_lazy("Only at 100% or more."),
    )
    raise_priority = forms.BooleanField(
        label=gettext_lazy("Raises the priority one step"), required=False
    )
    reassign_to_lead = forms.BooleanField(
        label=gettext_lazy("Reassigns the ticket to the team lead"), required=False
    )

    def clean(self):
        cleaned = super().clean()
        percent = cleaned.get("percent")
        if cleaned.get("marks_breach") and percent is not None and percent < 100:
            self.add_error(
                "marks_breach",
                _("Only a level at 100%% or more marks the breach: %(percent)s%% is before it.")
                % {"percent": percent},
            )
        return cleaned
