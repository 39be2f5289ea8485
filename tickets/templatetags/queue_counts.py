"""Counts of the queue's views, which stop counting at a cap (tickets.filters.count_capped).

- `{% count_label count capped %}`: "12", "1,000", or "1,000+" when the count was capped.
- `{{ counted|count_label }}`: the same from the `(count, capped)` pair `count_capped` returns.
"""

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.translation import gettext as _

register = template.Library()


def _label(count: int, capped: bool) -> str:
    number = intcomma(count, use_l10n=True)
    if capped:
        # A count that stopped at its cap: at least that many.
        return _("%(count)s+") % {"count": number}
    return number


@register.simple_tag(name="count_label")
def count_label_tag(count: int, capped: bool = False) -> str:
    return _label(count, capped)


@register.filter(name="count_label")
def count_label_filter(counted: tuple[int, bool]) -> str:
    count, capped = counted
    return _label(count, capped)
