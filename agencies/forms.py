import zoneinfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from agencies.models import AGENCY_CODE_VALIDATOR, Agency, Team, validate_domain

TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


class DomainsField(forms.CharField):
    """E-mail domains, one a line or separated by commas."""

    widget = forms.Textarea(attrs={"rows": 3})

    def to_python(self, value) -> list[str]:
        text = super().to_python(value) or ""
        return [d.strip().lower() for d in text.replace(",", "\n").splitlines() if d.strip()]

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list | tuple) else value

    def validate(self, value) -> None:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")
        errors = []
        for domain in value:
            try:
                validate_domain(domain)
            except ValidationError as error:
                errors.extend(error.messages)
        if errors:
            raise ValidationError(errors)


class AgencyForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=12,
        help_text=_("2 to 12 capital letters or digits, such as MOF. It cannot change later."),
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Agency.Kind.choices)
    parent = forms.ModelChoiceField(
        label=_("Parent agency"),
        queryset=Agency.objects.order_by("name"),
        required=False,
        empty_label=_("None"),
        help_text=_("For a department inside a ministry, the ministry."),
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=TIME_ZONE_CHOICES, initial="UTC")
    domains = DomainsField(
        label=_("E-mail domains"),
        required=False,
        help_text=_(
            "One a line, such as mof.gov.lr. People signing up with these addresses join "
            "this agency as requesters."
        ),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, agency: Agency | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.agency = agency
        if agency is not None:
            self.fields["code"].disabled = True
            self.fields["parent"].queryset = Agency.objects.exclude(pk=agency.pk).order_by("name")
        else:
            del self.fields["is_active"]

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip().upper()
        AGENCY_CODE_VALIDATOR(code)
        return code


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    # Not required, so that a form posted without it (an older page, a script) means "none".
    assignment = forms.TypedChoiceField(
        label=_("Automatic assignment"),
        choices=Team.Assignment.choices,
        required=False,
        empty_value=Team.Assignment.NONE,
        initial=Team.Assignment.NONE,
        help_text=_("Who receives each new ticket of this team, if anyone does automatically."),
    )
    members = forms.ModelMultipleChoiceField(
        label=_("Members"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("This agency's agents and admins."),
    )
    lead = forms.ModelChoiceField(
        label=_("Team lead"),
        queryset=None,
        required=False,
        empty_label=_("None"),
        help_text=_(
            "One of the team's members. Told when the team's tickets breach their service "
            "level, and given the tickets whose escalation reassigns them to the lead."
        ),
        error_messages={"invalid_choice": _("Choose the lead among this agency's staff.")},
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, staff, editing: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = staff
        self.fields["lead"].queryset = staff
        if not editing:
            del self.fields["is_active"]


class IntakeTeamForm(forms.Form):
    """Which team receives the agency's tickets whose category names no team of it."""

    intake_team = forms.TypedChoiceField(
        label=_("Intake team"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_(
            "Receives the tickets whose category names no team of this agency, such as a "
            "broken printer reported under a government-wide category."
        ),
    )

    def __init__(self, *args, teams: list[Team], current: int | None, **kwargs):
        super().__init__(*args, **kwargs)
        # From the teams the page already lists: no query of its own.
        self.teams = {team.pk: team for team in teams if team.is_active or team.pk == current}
        self.fields["intake_team"].choices = [
            ("", _("None: the tickets wait in the agency's queue, in no team")),
            *((pk, team.name) for pk, team in self.teams.items()),
        ]
        self.fields["intake_team"].initial = current
