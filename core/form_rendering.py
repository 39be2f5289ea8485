"""The form renderer: the project's templates (FORM_RENDERER), with the select list written
in Python.

A select renders each of its options through Django's option template, an include per
option: the queue's filter and bulk forms list every agent and category of an agency, and
their options cost more to render than the rest of the page. The HTML is the same, character
for character, as Django's templates write (tests/core/test_form_rendering.py compares them);
a select with an option template of its own is left to the templates.
"""

from django.forms.renderers import TemplatesSetting
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe

SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


def _attrs(attrs: dict) -> str:
    """As django/forms/widgets/attrs.html writes them."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {conditional_escape(name)}")
        if value is not True:
            parts.append(f'="{escape(value)}"')  # stringformat:'s', then escaped
    return "".join(parts)


def select_html(widget: dict) -> str | None:
    """A select widget's context as Django's select template writes it; None when one of its
    options has a template of its own."""
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in group_choices:
            if option["template_name"] != OPTION_TEMPLATE:
                return None
            parts.append(
                f'\n  <option value="{escape(option["value"])}"'
                f"{_attrs(option['attrs'])}>{conditional_escape(localize(option['label']))}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")  # the renderer strips the template's last line break
    return "".join(parts)


class FormRenderer(TemplatesSetting):
    def render(self, template_name, context, request=None):
        if template_name == SELECT_TEMPLATE:
            html = select_html(context["widget"])
            if html is not None:
                return mark_safe(html)  # noqa: S308 - every value above is escaped
        return super().render(template_name, context, request=request)
