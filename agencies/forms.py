import zoneinfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from agencies.models import AGENCY_CODE_VALIDATOR, Agency, validate_domain

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
    members = forms.ModelMultipleChoiceField(
        label=_("Members"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("This agency's agents and admins."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, staff, editing: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = staff
        if not editing:
            del self.fields["is_active"]
