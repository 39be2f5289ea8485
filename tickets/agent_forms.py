"""Forms of the agent workspace: the queue's bulk actions, logging a call, and the agent panel
on the ticket page. They parse and check input; the services decide and write."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from tickets.models import Level, Ticket

ME, NOBODY = "me", "nobody"
IMPACT_HELP = _("How many people the problem affects.")
URGENCY_HELP = _("How soon it stops work.")


class ObjectChoiceField(forms.ChoiceField):
    """A select list of objects the view has already fetched; cleans to the object.

    Unlike ModelChoiceField it never queries again when rendered or validated, so a page that
    shows the same list twice still costs one query.
    """

    def __init__(self, *, objects=(), empty_label=None, label_from=str, **kwargs):
        super().__init__(**kwargs)
        self.set_objects(objects, empty_label=empty_label, label_from=label_from)

    def set_objects(self, objects, *, empty_label=None, label_from=str) -> None:
        self._objects = {str(obj.pk): obj for obj in objects}
        choices = [(key, label_from(obj)) for key, obj in self._objects.items()]
        self.choices = ([("", empty_label)] if empty_label is not None else []) + choices

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        if value not in self._objects:
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return self._objects[value]

    def validate(self, value) -> None:
        if value is None and self.required:
            raise ValidationError(self.error_messages["required"], code="required")


class TicketIdsField(forms.Field):
    """The tickets ticked in the queue, as ids. Whether the person may touch them is the
    selector's question, not the form's."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": _("Select at least one ticket."),
        "invalid": _("Select tickets from the list."),
    }

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        try:
            ids = [int(v) for v in values]
        except (TypeError, ValueError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if len(ids) > 200 or any(not 0 < i < 2**63 for i in ids):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return sorted(set(ids))


def agent_label(user: User) -> str:
    return user.get_full_name()


class BulkActionForm(forms.Form):
    """One change to the tickets ticked in the queue; each action has its own submit button.

    The assignee is "me", "nobody" or a person's id. Whether that person is an agent of the
    agency handling every selected ticket is checked once the tickets are found.
    """

    ASSIGN, STATUS, CLOSE = "assign", "status", "close"

    tickets = TicketIdsField()
    action = forms.ChoiceField(
        choices=[(ASSIGN, _("Assign")), (STATUS, _("Change status")), (CLOSE, _("Close"))],
        error_messages={"required": _("Choose what to do with the selected tickets.")},
    )
    assignee = forms.CharField(label=_("Assign to"), required=False, max_length=20)
    status = forms.ChoiceField(
        label=_("New status"),
        required=False,
        # Closing has its own button.
        choices=[("", _("Choose a status"))]
        + [(value, label) for value, label in Ticket.Status.choices if value != "closed"],
    )

    def __init__(self, *args, agents=(), **kwargs):
        kwargs.setdefault("auto_id", "bulk-%s")
        super().__init__(*args, **kwargs)
        self.fields["assignee"].widget = forms.Select(
            choices=assignee_choices(agents, empty=_("Choose a person"))
        )

    def clean_assignee(self) -> str:
        value = self.cleaned_data["assignee"]
        if value and value not in (ME, NOBODY) and not re.fullmatch(r"[1-9][0-9]{0,15}", value):
            raise ValidationError(_("Choose who the tickets go to."))
        return value

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action == self.ASSIGN and not data.get("assignee") and "assignee" not in self.errors:
            self.add_error("assignee", _("Choose who the tickets go to."))
        if action == self.STATUS and not data.get("status") and "status" not in self.errors:
            self.add_error("status", _("Choose the new status."))
        return data


def assignee_choices(agents, *, empty) -> list[tuple[str, str]]:
    return [("", empty), (ME, _("Me")), (NOBODY, _("Nobody"))] + [
        (str(agent.pk), agent_label(agent)) for agent in agents
    ]


class LogCallForm(forms.Form):
    """An agent opens a ticket for someone who telephoned."""

    requester_email = forms.EmailField(
        label=_("Caller's e-mail address"),
        help_text=_("The caller must already use GovDesk, such as name@mof.gov.lr."),
    )
    category = ObjectChoiceField(label=_("Category"), empty_label=_("Choose a category"))
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("What the caller reported"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    impact = forms.ChoiceField(
        label=_("Impact"), choices=Level.choices, initial=Level.LOW, help_text=IMPACT_HELP
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"), choices=Level.choices, initial=Level.MEDIUM, help_text=URGENCY_HELP
    )

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].set_objects(categories, empty_label=_("Choose a category"))

    def clean_requester_email(self) -> User:
        email = self.cleaned_data["requester_email"].strip().lower()
        requester = User.objects.filter(email__iexact=email, is_active=True).first()
        if requester is None:
            raise ValidationError(
                _(
                    "No one with the address %(email)s uses GovDesk. Check the spelling, or "
                    "ask the caller to sign up first."
                ),
                params={"email": email},
            )
        return requester


class TicketUpdateForm(forms.Form):
    """The agent panel's main form. `version` is the ticket's version when the page was shown:
    the service refuses the change if someone else saved in between."""

    status = forms.ChoiceField(label=_("Status"), choices=Ticket.Status.choices)
    impact = forms.ChoiceField(label=_("Impact"), choices=Level.choices, help_text=IMPACT_HELP)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Level.choices, help_text=URGENCY_HELP)
    team = ObjectChoiceField(label=_("Team"), required=False)
    assignee = ObjectChoiceField(
        label=_("Assignee"),
        required=False,
        error_messages={"invalid_choice": _("Choose an agent of the agency handling the ticket.")},
    )
    category = ObjectChoiceField(label=_("Category"))
    version = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=1,
        error_messages={
            "required": _("Reload the ticket and try again."),
            "invalid": _("Reload the ticket and try again."),
            "min_value": _("Reload the ticket and try again."),
        },
    )

    def __init__(self, *args, teams=(), agents=(), categories=(), **kwargs):
        kwargs.setdefault("auto_id", "agent-update-%s")
        super().__init__(*args, **kwargs)
        self.fields["team"].set_objects(teams, empty_label=_("No team"))
        self.fields["assignee"].set_objects(agents, empty_label=_("Nobody"), label_from=agent_label)
        self.fields["category"].set_objects(categories)

    @classmethod
    def initial_for(cls, ticket: Ticket) -> dict:
        return {
            "status": ticket.status,
            "impact": ticket.impact,
            "urgency": ticket.urgency,
            "team": str(ticket.team_id or ""),
            "assignee": str(ticket.assignee_id or ""),
            "category": str(ticket.category_id),
            "version": ticket.version,
        }


class TakeForm(forms.Form):
    """ "Assign to me" on a colleague's ticket, confirmed: the version the person saw."""

    version = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=1,
        error_messages={
            "required": _("Reload the ticket and try again."),
            "invalid": _("Reload the ticket and try again."),
            "min_value": _("Reload the ticket and try again."),
        },
    )


class TransferForm(forms.Form):
    to_agency = ObjectChoiceField(label=_("Agency"), empty_label=_("Choose an agency"))
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The receiving agency reads this first."),
        error_messages={"required": _("Say why the ticket moves, for the receiving agency.")},
    )

    def __init__(self, *args, agencies=(), **kwargs):
        kwargs.setdefault("auto_id", "agent-transfer-%s")
        super().__init__(*args, **kwargs)
        self.fields["to_agency"].set_objects(
            agencies,
            empty_label=_("Choose an agency"),
            label_from=lambda agency: f"{agency.name} ({agency.code})",
        )


class ReferenceField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 24)
        super().__init__(**kwargs)

    def to_python(self, value) -> str:
        return super().to_python(value).strip().upper()


class MergeForm(forms.Form):
    target = ReferenceField(
        label=_("Reference of the ticket to keep"),
        help_text=_(
            "This ticket is closed as its duplicate; its requester follows the ticket you keep."
        ),
        error_messages={"required": _("Enter the reference of the ticket to keep.")},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "agent-merge-%s")
        super().__init__(*args, **kwargs)


class LinkForm(forms.Form):
    other = ReferenceField(
        label=_("Reference of the related ticket"),
        error_messages={"required": _("Enter the reference of the related ticket.")},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "agent-link-%s")
        super().__init__(*args, **kwargs)


class MinutesField(forms.IntegerField):
    """Optional minutes spent, recorded with a reply or note: 1 to 1,440 (a day)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Time spent (minutes)"))
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 24 * 60)
        kwargs.setdefault("help_text", _("Optional. Up to 1,440 minutes (24 hours)."))
        kwargs.setdefault(
            "error_messages",
            {
                "invalid": _("Enter the minutes as a whole number."),
                "min_value": _("Enter at least 1 minute, or leave it empty."),
                "max_value": _("Enter at most 1,440 minutes (24 hours) for one entry."),
            },
        )
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        # A number pad on phones, without the browser's own range messages.
        attrs = super().widget_attrs(widget)
        attrs.pop("min", None)
        attrs.pop("max", None)
        return {**attrs, "inputmode": "numeric"}
