from django.http import HttpResponse
from django.template import Context, Engine
from django.utils.translation import gettext as _

# The ceiling: what the same server answers when a page costs nothing but Django itself.
_TABLE = Engine().from_string(
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>'
    '</head><body><main><h1>{{ title }}</h1><table><thead><tr><th scope="col">#</th>'
    '<th scope="col">{{ label }}</th></tr></thead><tbody>{% for n, text in rows %}'
    "<tr><td>{{ n }}</td><td>{{ text }}</td></tr>{% endfor %}</tbody></table></main></body></html>"
)
ROWS = [(n, f"Row {n}") for n in range(1, 26)]


def ceiling(request):
    """A fixed 25-row HTML table, rendered by the template engine, reading no database."""
    context = Context({"title": _("Benchmark ceiling"), "label": _("Text"), "rows": ROWS})
    return HttpResponse(_TABLE.render(context))
