"""The form renderer writes select lists in Python: the same HTML, character for character,
as Django's templates."""

import pytest
from django import forms
from django.forms.renderers import TemplatesSetting
from django.utils.safestring import mark_safe

from core.form_rendering import FormRenderer


class Everything(forms.Form):
    plain = forms.ChoiceField(choices=[("", "Any"), ("a", "Apples & pears"), ("b", "<b>")])
    grouped = forms.ChoiceField(
        choices=[("Fruit", [("a", "Apple"), ("b", "Banana")]), ("Other", [("c", 'Say "hi"')])]
    )
    several = forms.MultipleChoiceField(choices=[(1, "One"), (2, "Two"), (3, "Three")])
    numbers = forms.TypedChoiceField(choices=[(1000, 1000), (2, mark_safe("<i>two</i>"))])
    described = forms.ChoiceField(
        choices=[("x", "X")],
        required=False,
        help_text="Helps",
        widget=forms.Select(attrs={"data-flag": True, "hidden-off": False, "title": "A & B"}),
    )


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"plain": "a", "grouped": "c", "several": ["1", "3"], "numbers": "2", "described": "x"},
        {"plain": "nope", "grouped": "", "several": ["9"]},  # bound with errors
    ],
)
def test_it_writes_every_select_as_the_templates_do(data):
    written = {}
    for renderer in (FormRenderer(), TemplatesSetting()):
        form = Everything(data or None, renderer=renderer)
        form.is_valid()
        written[type(renderer)] = {name: str(form[name]) for name in form.fields}
    for name, html in written[FormRenderer].items():
        assert html == written[TemplatesSetting][name], name
        assert "<select" in html


def test_it_leaves_a_select_with_its_own_option_template_to_the_templates():
    class OwnOptions(forms.Select):
        option_template_name = "django/forms/widgets/input.html"

    widget = OwnOptions(choices=[("a", "A")])
    assert widget.render("own", "a", renderer=FormRenderer()) == widget.render(
        "own", "a", renderer=TemplatesSetting()
    )
