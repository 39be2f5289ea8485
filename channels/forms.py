from django import forms
from django.utils.translation import gettext_lazy as _


class PhoneNumberForm(forms.Form):
    number = forms.CharField(
        label=_("Mobile number"),
        max_length=32,
        help_text=_("In international format, such as +254711000000. We send it a code by SMS."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )


class PhoneCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the SMS"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class PhoneUpdatesForm(forms.Form):
    sms_updates = forms.BooleanField(
        label=_("Send me replies and resolutions of my tickets by SMS"), required=False
    )


class PhoneImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "One line per person: e-mail address, mobile number (such as "
            "requester@mof.gov.lr, +231770000001). The numbers are set as confirmed."
        ),
    )
