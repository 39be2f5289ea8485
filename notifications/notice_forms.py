from django import forms
from django.utils.translation import gettext as _

from notifications.models import MANDATORY_KINDS, Kind, Preference


class PreferencesForm(forms.Form):
    """One question per kind a person may choose for, named after the kind's value."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in Kind:
            if kind in MANDATORY_KINDS:
                continue
            message = _("Choose straight away, in a daily summary or never for “%(kind)s”.") % {
                "kind": kind.label
            }
            self.fields[kind.value] = forms.ChoiceField(
                label=kind.label,
                choices=Preference.Mode.choices,
                widget=forms.RadioSelect,
                # The refused value is interpolated into invalid_choice: keep a % literal.
                error_messages={"required": message, "invalid_choice": message.replace("%", "%%")},
            )
