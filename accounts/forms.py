from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import Role


class SignupDetailsForm(forms.Form):
    """Extra fields on allauth's sign-up form."""

    full_name = forms.CharField(label=_("Full name"), max_length=200)

    def signup(self, request, user) -> None:
        user.full_name = self.cleaned_data["full_name"].strip()
        user.save(update_fields=["full_name"])


class ProfileForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    preferred_language = forms.ChoiceField(
        label=_("Language for pages and e-mail"),
        choices=[("", _("The language of my browser")), *settings.LANGUAGES],
        required=False,
    )
    single_key_shortcuts = forms.BooleanField(
        label=_("Single-key keyboard shortcuts in the queue and on tickets"),
        help_text=_(
            "Untick if you use speech input or stray key presses trigger them: each shortcut "
            "then needs Alt and Shift as well."
        ),
        required=False,
    )


class MembershipSwitchForm(forms.Form):
    membership = forms.IntegerField(widget=forms.HiddenInput)


STAFF_ROLE_CHOICES = [
    (Role.REQUESTER, Role.REQUESTER.label),
    (Role.AGENT, Role.AGENT.label),
    (Role.AGENCY_ADMIN, Role.AGENCY_ADMIN.label),
]


class MemberAddForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    full_name = forms.CharField(
        label=_("Full name"),
        max_length=200,
        required=False,
        help_text=_("Needed only for someone who has no GovDesk account yet."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=STAFF_ROLE_CHOICES)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=STAFF_ROLE_CHOICES)
