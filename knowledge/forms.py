from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from knowledge.models import Article, Audience
from tickets.models import Category

# Addresses under /help/ that are pages, not articles.
RESERVED_SLUGS = {"suggest", "check", "manage", "from-ticket", "new"}


class ArticleForm(forms.Form):
    language = forms.ChoiceField(label=_("Language of this text"), choices=settings.LANGUAGES)
    title = forms.CharField(label=_("Title"), max_length=200)
    summary = forms.CharField(
        label=_("Summary"),
        max_length=300,
        required=False,
        help_text=_("One sentence shown in search results."),
    )
    body = forms.CharField(
        label=_("Text"),
        max_length=50000,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=_(
            "Markdown: **bold**, *italic*, lists, [links](https://…), ## headings and tables. "
            "HTML is shown as text; images only from GovDesk itself."
        ),
    )
    audience = forms.ChoiceField(label=_("Who may read it"), choices=Audience.choices)
    category = forms.ModelChoiceField(
        label=_("Service"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("None in particular"),
    )

    def __init__(self, *args, categories=None, **kwargs):
        super().__init__(*args, **kwargs)
        if categories is not None:
            self.fields["category"].queryset = categories


class ArticleCreateForm(ArticleForm):
    slug = forms.SlugField(
        label=_("Short name"),
        max_length=80,
        required=False,
        help_text=_("Used in the address; made from the title when left empty."),
    )
    field_order = ["language", "title", "slug", "summary", "body", "audience", "category"]

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError(_("This short name is taken by a page of GovDesk."))
        return slug


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Article.Status.choices)


class FeedbackForm(forms.Form):
    helpful = forms.TypedChoiceField(
        label=_("Was this article helpful?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
    )


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search the help articles"), max_length=200, required=False)
