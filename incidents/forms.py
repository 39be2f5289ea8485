from django import forms
from django.utils.translation import gettext_lazy as _

from incidents.models import GovService
from tickets.models import Category


class DeclareForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("Service affected"),
        queryset=Category.objects.none(),
        empty_label=_("Choose a service"),
        error_messages={"required": _("Choose the service that is affected.")},
    )
    subject = forms.CharField(
        label=_("Headline for the public"),
        max_length=200,
        help_text=_("Shown on the report-a-problem page and the status page, such as "
                    "“Government e-mail is down”."),
        error_messages={"required": _("Enter a headline.")},
    )  # fmt: skip
    description = forms.CharField(
        label=_("What people should know"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Say what is known and what people can do meanwhile.")},
    )

    def __init__(self, *args, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories


class ConfirmForm(forms.Form):
    subject = forms.CharField(
        label=_("Headline for the public"),
        max_length=200,
        required=False,
        help_text=_("Optional: “Problem with” the service, if left empty."),
    )


class AttachForm(forms.Form):
    reference = forms.CharField(
        label=_("Reference of the ticket to attach"),
        max_length=24,
        error_messages={"required": _("Enter a ticket reference, such as MOF-000123.")},
    )


class ResolveForm(forms.Form):
    note = forms.CharField(
        label=_("Resolution note"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Sent once to everyone affected and added to each ticket of the incident."),
        error_messages={"required": _("Say what was wrong and what was done.")},
    )


class GovServiceForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=120, error_messages={"required": _("Enter the name.")}
    )
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    categories = forms.ModelMultipleChoiceField(
        label=_("Categories"),
        queryset=Category.objects.filter(is_active=True, agency__isnull=True).order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Tickets and incidents in these government-wide categories concern it."),
    )
    is_listed = forms.BooleanField(label=_("Show on the status page"), required=False)


class ServiceStateForm(forms.Form):
    service = forms.ModelChoiceField(
        queryset=GovService.objects.all(), widget=forms.HiddenInput, error_messages={
            "invalid_choice": _("That service no longer exists."),
            "required": _("That service no longer exists."),
        },
    )  # fmt: skip
    state = forms.ChoiceField(label=_("State"), choices=GovService.State.choices)
