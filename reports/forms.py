"""The period (and, for the Council, the kind of agency and the order) a dashboard shows."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency

# Longer ranges than this are a mistake (a mistyped year), not a question worth the work.
MAX_PERIOD_DAYS = 731
DEFAULT_PERIOD = "30"


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


def local_today(now: datetime, time_zone: str) -> date:
    return now.astimezone(ZoneInfo(time_zone)).date()


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


class PeriodForm(forms.Form):
    PERIODS = [
        ("7", _("Last 7 days")),
        ("30", _("Last 30 days")),
        ("90", _("Last 90 days")),
        ("quarter", _("This quarter")),
        ("custom", _("Custom range")),
    ]

    period = forms.ChoiceField(
        label=_("Period"),
        choices=PERIODS,
        required=False,
        error_messages={"invalid_choice": _("Choose a period from the list.")},
    )
    start = forms.DateField(
        label=_("From (custom range)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Enter the first day as a date, such as 2026-01-31.")},
    )
    end = forms.DateField(
        label=_("To (custom range)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Enter the last day as a date, such as 2026-03-31.")},
    )

    def __init__(self, data, *, now: datetime, time_zone: str, **kwargs):
        data = data.copy() if data else {}
        if not data.get("period"):
            data["period"] = DEFAULT_PERIOD
        super().__init__(data, **kwargs)
        self.now = now
        self.today = local_today(now, time_zone)

    def clean(self):
        cleaned = super().clean()
        period = cleaned.get("period")
        if period == "custom":
            start, end = cleaned.get("start"), cleaned.get("end")
            if "start" in self.errors or "end" in self.errors:
                return cleaned
            if start is None:
                self.add_error("start", _("Enter the first day of the range."))
            if end is None:
                self.add_error("end", _("Enter the last day of the range."))
            if start is None or end is None:
                return cleaned
            if start > end:
                self.add_error("end", _("The last day must be on or after the first day."))
            elif (end - start).days + 1 > MAX_PERIOD_DAYS:
                self.add_error(
                    "end",
                    _("Choose a range of at most %(days)s days.") % {"days": MAX_PERIOD_DAYS},
                )
            else:
                cleaned["range"] = Period(start, end)
        elif period == "quarter":
            cleaned["range"] = Period(quarter_start(self.today), self.today)
        elif period:
            cleaned["range"] = Period(self.today - timedelta(days=int(period) - 1), self.today)
        return cleaned

    @property
    def range(self) -> Period | None:
        return self.cleaned_data.get("range") if self.is_valid() else None


class AgencyPeriodForm(PeriodForm):
    """A platform admin, who belongs to no agency, chooses the agency to look at."""

    agency = forms.ModelChoiceField(
        label=_("Agency"),
        queryset=Agency.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=_("Choose an agency"),
        error_messages={"invalid_choice": _("Choose an agency from the list.")},
    )
    field_order = ["agency", "period", "start", "end"]

    def __init__(self, data, *, agencies, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["agency"].queryset = agencies

    def clean_agency(self):
        # Cleaned before the period (field_order): the period is in the agency's own days.
        agency = self.cleaned_data.get("agency")
        if agency is not None:
            self.today = local_today(self.now, agency.time_zone)
        return agency


class CouncilForm(PeriodForm):
    SORTS = [
        ("agency", _("Agency")),
        ("created", _("Tickets reported")),
        ("open", _("Open backlog")),
        ("over_30", _("Open over 30 days")),
        ("response", _("Response compliance")),
        ("resolution", _("Resolution compliance")),
        ("median_resolution", _("Median resolution time")),
        ("reopen_rate", _("Reopen rate")),
        ("transferred_share", _("Share transferred")),
        ("satisfaction", _("Satisfaction, good (%)")),
        ("satisfaction_answers", _("Satisfaction answers")),
        ("deflections", _("Problems solved by articles")),
    ]

    kind = forms.ChoiceField(
        label=_("Kind of agency"),
        choices=[("", _("Every kind")), *Agency.Kind.choices],
        required=False,
        error_messages={"invalid_choice": _("Choose a kind of agency from the list.")},
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        choices=SORTS,
        required=False,
        error_messages={"invalid_choice": _("Choose a column to sort by from the list.")},
    )
    order = forms.ChoiceField(
        label=_("Order"),
        choices=[
            ("", _("Usual: highest first, names from A")),
            ("desc", _("Highest first")),
            ("asc", _("Lowest first")),
        ],
        required=False,
        error_messages={"invalid_choice": _("Choose highest or lowest first.")},
    )
