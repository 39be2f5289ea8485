from django import forms
from django.utils.translation import gettext_lazy as _

from tickets.models import Level


class AgencyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return str(obj) if obj.is_active else _("%(name)s (inactive)") % {"name": obj}


class CategoryForm(forms.Form):
    """A category of the service catalogue. The services check what depends on several fields
    (the team against the handling agency, the parent against cycles)."""

    name = forms.CharField(label=_("Name"), max_length=120)
    slug = forms.SlugField(
        label=_("Short name"),
        max_length=80,
        required=False,
        help_text=_(
            "Used in addresses and the API, such as government-email. Leave it empty to make "
            "one from the name."
        ),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What the service covers, in the words of the people who use it."),
    )
    parent = forms.ModelChoiceField(
        label=_("Parent category"),
        queryset=None,
        required=False,
        empty_label=_("None: a top-level category"),
        error_messages={
            "invalid_choice": _(
                "Choose a parent from the list: a category of the same agency, or another "
                "government-wide one for a government-wide category."
            )
        },
    )
    handling_agency = AgencyChoiceField(
        label=_("Handled by"),
        queryset=None,
        required=False,
        empty_label=_("The requester's own agency"),
        help_text=_(
            "The agency whose staff receive these tickets, such as NICTA for government e-mail."
        ),
        error_messages={"invalid_choice": _("Choose an agency from the list.")},
    )
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=None,
        required=False,
        empty_label=_("The handling agency's intake team"),
        help_text=_(
            "A team of the handling agency (of this agency, when the requester's own agency "
            "handles an agency's category). For a government-wide category handled by each "
            "requester's own agency, leave it empty."
        ),
        error_messages={"invalid_choice": _("Choose a team from the list.")},
    )
    default_impact = forms.ChoiceField(
        label=_("Default impact"),
        choices=Level.choices,
        initial=Level.LOW,
        help_text=_("How many people a problem with this service usually affects."),
    )
    default_urgency = forms.ChoiceField(
        label=_("Default urgency"),
        choices=Level.choices,
        initial=Level.MEDIUM,
        help_text=_("How soon a problem with this service usually needs fixing."),
    )
    is_active = forms.BooleanField(
        label=_("Active: people can report problems under it"), required=False, initial=True
    )

    def __init__(self, *args, scope, category, parents, agencies, teams, **kwargs):
        """`parents`, `agencies` and `teams` are what a posted value may name; the lists offer
        only what fits (the scope's categories, active agencies and teams) plus the present
        values, so that a refusal of anything else comes from the services, with a reason."""
        super().__init__(*args, **kwargs)
        scope_id = getattr(scope, "pk", None)
        parent_field = self.fields["parent"]
        parent_field.queryset = parents
        parent_field.choices = [
            ("", parent_field.empty_label),
            *(
                (c.pk, str(c))
                for c in parents
                if c.agency_id == scope_id and c.pk != getattr(category, "pk", None)
            ),
        ]
        agency_field = self.fields["handling_agency"]
        agency_field.queryset = agencies
        current_agency = getattr(category, "handling_agency_id", None)
        agency_field.choices = [
            ("", agency_field.empty_label),
            *(
                (a.pk, agency_field.label_from_instance(a))
                for a in agencies
                if a.is_active or a.pk == current_agency
            ),
        ]
        team_field = self.fields["team"]
        team_field.queryset = teams
        current_team = getattr(category, "team_id", None)
        # Grouped by agency, so the list reads "NICTA: E-mail and collaboration, Network…".
        groups: dict[str, list] = {}
        for team in teams:
            offered = team.is_active and team.agency.is_active
            if offered or team.pk == current_team:
                label = team.name if offered else _("%(name)s (inactive)") % {"name": team.name}
                groups.setdefault(str(team.agency), []).append((team.pk, label))
        team_field.choices = [("", team_field.empty_label), *groups.items()]
        if category is None:
            del self.fields["is_active"]
