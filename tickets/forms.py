"""Forms of the requester portal and the ticket page. (Agents' own forms: agent_forms.py.)"""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tickets.agent_forms import MinutesField
from tickets.attachments import CheckedFile, accepted_extensions, attachments_check
from tickets.models import Category, Level

IMPACT_CHOICES = [
    (Level.LOW, _("Just me")),
    (Level.MEDIUM, _("My team")),
    (Level.HIGH, _("My whole agency or the public")),
]
URGENCY_CHOICES = [
    (Level.LOW, _("Yes, it can wait")),
    (Level.MEDIUM, _("With difficulty")),
    (Level.HIGH, _("No, work has stopped")),
]


def _files_hint() -> str:
    most = settings.ATTACHMENT_MAX_FILES
    return ngettext(
        "Optional. Up to %(count)d file of %(size)s: pictures, PDF, Office documents, "
        "ZIP or plain text.",
        "Optional. Up to %(count)d files of %(size)s each: pictures, PDF, Office documents, "
        "ZIP or plain text.",
        most,
    ) % {"count": most, "size": filesizeformat(settings.ATTACHMENT_MAX_BYTES)}


# Read when a page shows it, in that page's language and with the settings of the moment.
_files_hint_lazy = lazy(_files_hint, str)


class MultipleFileInput(forms.FileInput):
    """A file input that takes several files (Django's docs, "Uploading multiple files")."""

    allow_multiple_selected = True


class MultipleFileField(forms.Field):
    """Optional files, each checked by content; cleans to a list of CheckedFile."""

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _files_hint_lazy())
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        # A hint for the browser's file picker only; the server judges the content.
        return {**super().widget_attrs(widget), "accept": ",".join(accepted_extensions())}

    def clean(self, value) -> list[CheckedFile]:
        if value is None:
            uploads = []
        elif isinstance(value, list | tuple):
            uploads = [upload for upload in value if upload]
        else:
            uploads = [value]
        if self.required and not uploads:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return attachments_check(uploads)


class CategoryChoiceField(forms.ChoiceField):
    """Services grouped under their parent, cleaned to the Category chosen."""

    def __init__(self, *, categories, **kwargs):
        self.categories = {str(category.pk): category for category in categories}
        super().__init__(choices=self._grouped_choices(), **kwargs)

    def _grouped_choices(self):
        loose, groups = [], {}
        parents = {c.parent_id for c in self.categories.values() if c.parent_id}
        for key, category in self.categories.items():
            if category.parent_id:
                groups.setdefault(category.parent.name, []).append((key, category.name))
            elif category.pk in parents:
                # A parent is a service too: its own option heads its group.
                groups.setdefault(category.name, []).insert(0, (key, category.name))
            else:
                loose.append((key, category.name))
        return [("", _("Choose a service")), *loose, *sorted(groups.items())]

    def clean(self, value) -> Category | None:
        key = super().clean(value)
        return self.categories.get(key) if key else None


class TicketNewForm(forms.Form):
    category = forms.ChoiceField()  # replaced in __init__, once the services are known
    subject = forms.CharField(
        label=_("Subject"),
        max_length=200,
        help_text=_("A few words, such as “Cannot print on the second floor”."),
        error_messages={
            "required": _("Enter a subject."),
            "max_length": _("Keep the subject to %(limit_value)d characters or fewer."),
        },
    )
    description = forms.CharField(
        label=_("Describe the problem"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "What happened, what you expected, and any error message you saw. "
            "You can use **bold**, *italic* and lists starting with “- ”."
        ),
        error_messages={
            "required": _("Describe the problem."),
            "max_length": _("Keep the description to %(limit_value)d characters or fewer."),
        },
    )
    impact = forms.ChoiceField(
        label=_("Who is affected?"),
        choices=IMPACT_CHOICES,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("If you are not sure, leave it: the usual answer for the service is used."),
    )
    urgency = forms.ChoiceField(
        label=_("Can you still work?"),
        choices=URGENCY_CHOICES,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("If you are not sure, leave it: the usual answer for the service is used."),
    )
    attachments = MultipleFileField(label=_("Attach files"))

    def __init__(self, *args, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"] = CategoryChoiceField(
            categories=categories,
            label=_("What is the problem about?"),
            help_text=_("Choose the service that is not working for you."),
            error_messages={
                "required": _("Choose the service the problem is about."),
                "invalid_choice": _("Choose a service from the list."),
            },
        )
        self.order_fields(["category", "subject", "description", "impact", "urgency"])

    def clean(self):
        cleaned = super().clean()
        category = cleaned.get("category")
        if category is not None:
            cleaned["impact"] = cleaned.get("impact") or category.default_impact
            cleaned["urgency"] = cleaned.get("urgency") or category.default_urgency
        return cleaned


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={
            "required": _("Write a message first."),
            "max_length": _("Keep the message to %(limit_value)d characters or fewer."),
        },
    )
    internal = forms.BooleanField(
        label=_("Internal note (not shown to the requester)"), required=False
    )
    attachments = MultipleFileField(label=_("Attach files"))
    minutes = MinutesField()

    def __init__(self, *args, allow_internal: bool, **kwargs):
        kwargs.setdefault("auto_id", "reply_%s")
        super().__init__(*args, **kwargs)
        if not allow_internal:
            # Only agents write notes and record their time.
            del self.fields["internal"]
            del self.fields["minutes"]


class WatcherForm(forms.Form):
    email = forms.EmailField(
        label=_("Your colleague’s e-mail address"),
        help_text=_("They must already use GovDesk. They will see this ticket and its replies."),
        error_messages={
            "required": _("Enter your colleague’s e-mail address."),
            "invalid": _("Enter an e-mail address like name@agency.gov."),
        },
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "watch_%s")
        super().__init__(*args, **kwargs)


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("What is still wrong?"),
        help_text=_("Optional."),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "max_length": _("Keep the reason to %(limit_value)d characters or fewer."),
        },
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "reopen_%s")
        super().__init__(*args, **kwargs)
