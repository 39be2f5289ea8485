"""Forms of the agent's tools. They parse input; the services decide and write."""

from django import forms
from django.utils.translation import gettext_lazy as _

from tickets.agent_forms import ObjectChoiceField
from tickets.models import Level, Ticket
from workspace.models import Scope
from workspace.placeholders import PLACEHOLDERS

SCOPE_LABELS = {
    Scope.PERSONAL: _("Only me"),
    Scope.TEAM: _("A team"),
    Scope.AGENCY: _("My whole agency"),
    Scope.GOVERNMENT: _("Every agency (government-wide)"),
}


def _placeholder_help() -> str:
    return " ".join(f"{{{{ {name} }}}}" for name in PLACEHOLDERS)


class SavedViewForm(forms.Form):
    name = forms.CharField(
        label=_("Name of the view"),
        max_length=80,
        error_messages={"required": _("Give the view a name.")},
    )
    scope = forms.ChoiceField(label=_("Who sees it"), initial=Scope.PERSONAL)
    team = ObjectChoiceField(label=_("Team"), required=False)
    query = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2000)

    def __init__(self, *args, teams=(), may_share_agency=False, **kwargs):
        kwargs.setdefault("auto_id", "saved-view-%s")
        super().__init__(*args, **kwargs)
        scopes = [Scope.PERSONAL]
        if teams:
            scopes.append(Scope.TEAM)
        if may_share_agency:
            scopes.append(Scope.AGENCY)
        # Every scope is accepted by the form: the service refuses one the person lacks the
        # right for, with a message saying why.
        self.fields["scope"].choices = [
            (s, SCOPE_LABELS[s]) for s in Scope if s != Scope.GOVERNMENT
        ]
        self.offered_scopes = scopes
        self.fields["scope"].widget = forms.RadioSelect(
            choices=[(s, SCOPE_LABELS[s]) for s in scopes]
        )
        self.fields["team"].set_objects(teams, empty_label=_("Choose a team"))
        if not teams:
            self.fields["team"].widget = forms.HiddenInput()


class LibraryScopeMixin:
    def scope_choices(self, scopes) -> None:
        self.fields["scope"].choices = [(s, SCOPE_LABELS[s]) for s in scopes]
        if len(scopes) == 1:
            self.fields["scope"].widget = forms.HiddenInput()


class CannedResponseForm(LibraryScopeMixin, forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=120,
        error_messages={"required": _("Give the response a title.")},
    )
    scope = forms.ChoiceField(label=_("Who may use it"), widget=forms.RadioSelect)
    body_en = forms.CharField(
        label=_("Text in English"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    body_fr = forms.CharField(
        label=_("Text in French"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6, "lang": "fr"}),
    )

    def __init__(self, *args, scopes=(Scope.PERSONAL,), **kwargs):
        kwargs.setdefault("auto_id", "response-%s")
        super().__init__(*args, **kwargs)
        self.scope_choices(scopes)
        hint = _("The requester's language is inserted. Placeholders: %(names)s") % {
            "names": _placeholder_help()
        }
        self.fields["body_en"].help_text = hint


class MacroForm(LibraryScopeMixin, forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=120, error_messages={"required": _("Give the macro a name.")}
    )
    scope = forms.ChoiceField(label=_("Who may use it"), widget=forms.RadioSelect)
    response = ObjectChoiceField(label=_("Response to send"), required=False)
    status = forms.ChoiceField(
        label=_("Set status to"),
        required=False,
        choices=[("", _("Leave as it is"))]
        + [(v, label) for v, label in Ticket.Status.choices if v != Ticket.Status.NEW],
    )
    impact = forms.ChoiceField(
        label=_("Set impact to"),
        required=False,
        choices=[("", _("Leave as it is")), *Level.choices],
    )
    urgency = forms.ChoiceField(
        label=_("Set urgency to"),
        required=False,
        choices=[("", _("Leave as it is")), *Level.choices],
    )
    team = ObjectChoiceField(label=_("Move to team"), required=False)

    def __init__(self, *args, scopes=(Scope.PERSONAL,), responses=(), teams=(), **kwargs):
        kwargs.setdefault("auto_id", "macro-%s")
        super().__init__(*args, **kwargs)
        self.scope_choices(scopes)
        self.fields["response"].set_objects(responses, empty_label=_("No response"))
        self.fields["team"].set_objects(teams, empty_label=_("Leave as it is"))


class UseResponseForm(forms.Form):
    response = forms.IntegerField(
        label=_("Canned response"),
        min_value=1,
        max_value=2**63 - 1,
        error_messages={"required": _("Choose a response.")},
    )


class ApplyMacroForm(forms.Form):
    macro = forms.IntegerField(
        label=_("Macro"),
        min_value=1,
        max_value=2**63 - 1,
        error_messages={"required": _("Choose a macro.")},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
