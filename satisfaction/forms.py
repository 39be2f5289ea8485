from django import forms
from django.utils.translation import gettext_lazy as _

from satisfaction.models import COMMENT_MAX_LENGTH, Survey


class AnswerForm(forms.Form):
    rating = forms.ChoiceField(
        label=_("Was your problem solved well?"),
        choices=[(Survey.Rating.GOOD, _("Good")), (Survey.Rating.BAD, _("Bad"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose good or bad.")},
    )
    comment = forms.CharField(
        label=_("Anything to add? (optional)"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": _("Keep your comment under %(limit_value)d characters.")},
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("What is still wrong? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
