from django import forms
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency
from privacy.models import MINIMUM_RETENTION_DAYS


class AccessLogFilterForm(forms.Form):
    person = forms.CharField(
        label=_("Person (e-mail address)"),
        required=False,
        max_length=254,
        help_text=_("Who read, or whose data was read."),
    )
    ticket = forms.CharField(label=_("Ticket reference"), required=False, max_length=24)
    agency = forms.ModelChoiceField(
        label=_("Agency"), queryset=Agency.objects.none(), required=False
    )
    since = forms.DateField(label=_("From (YYYY-MM-DD)"), required=False)
    until = forms.DateField(label=_("To (YYYY-MM-DD)"), required=False)

    def __init__(self, *args, agencies=None, **kwargs):
        super().__init__(*args, **kwargs)
        if agencies is None:
            del self.fields["agency"]
        else:
            self.fields["agency"].queryset = agencies
            self.fields["agency"].to_field_name = "code"

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("The end of the period comes before its start."))
        return data


class PersonFindForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address of the person"))


class ErasureForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the erasure"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "The request it answers, such as its date and reference. Do not name the person."
        ),
    )
    confirm = forms.BooleanField(
        label=_("I understand that the person's data cannot be recovered."), required=True
    )


class LegalHoldForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the hold"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class RetentionForm(forms.Form):
    keep_days = forms.IntegerField(
        label=_("Keep the personal data of closed tickets for (days)"),
        min_value=MINIMUM_RETENTION_DAYS,
        max_value=36500,
        error_messages={"min_value": _("Keep personal data for at least 30 days.")},
    )


class RedactionForm(forms.Form):
    secret = forms.CharField(
        label=_("Text to remove (leave empty to remove the whole message)"),
        required=False,
        max_length=20000,
    )
