"""`{{ value|when }}`: the one way GovDesk shows a moment, on pages, in e-mail and in exports.

One format per language, in the active time zone: "30 November 2026, 14:44" and
"30 novembre 2026, 14:44" (French months take no capital). Modes, as the filter's argument:

- none: a <time> element with the moment in words;
- "relative": "in 3 hours", "20 minutes ago" within a day of now, where a distance helps
  more than a date (queues, lists, the home page); further off, as with no mode;
- "date": a day only, "30 November 2026"; "day" without the year, for yearly holidays;
- "text": the words alone, for sentences that put them in their own <time> element; and
  "iso": the machine-readable value for that element's `datetime`.

Django's own DATETIME_FORMAT, "N j, Y, P", gives "Nov. 30, 2026, 2:44 p.m.", whose stop
doubles at the end of a sentence: no format here ends with a stop.
"""

from datetime import date, datetime, timedelta

from django import template
from django.utils import dateformat, timezone
from django.utils.html import format_html
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import get_language
from django.utils.translation import gettext as _

register = template.Library()

# Day before month, a 24-hour clock, the month in words: read the same way in both languages.
FORMATS = {"datetime": "j F Y, H:i", "date": "j F Y", "day": "j F"}
RELATIVE_WITHIN = timedelta(days=1)


def _words(value: date, kind: str) -> str:
    text = dateformat.format(value, FORMATS[kind])
    if (get_language() or "").startswith("fr"):
        # Django's French month names are capitalised; French writes them in lower case. The
        # formats hold no other word.
        text = text.lower()
    return text


def _local(value: date) -> date:
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def moment_text(value: date | None, kind: str = "") -> str:
    """The moment in words, for Python code that writes for people (e-mail, exports)."""
    if value is None:
        return ""
    value = _local(value)
    if kind in ("date", "day") or not isinstance(value, datetime):
        return _words(value, kind if kind == "day" else "date")
    return _words(value, "datetime")


def relative_text(value: datetime, now: datetime | None = None) -> str | None:
    """ "in 3 hours" or "3 hours ago" when the moment is within a day of now, else None."""
    now = now or timezone.now()
    if abs(value - now) >= RELATIVE_WITHIN:
        return None
    if abs(value - now) < timedelta(minutes=1):
        return _("just now")
    if value > now:
        return _("in %(duration)s") % {"duration": timeuntil(value, now, depth=1)}
    # Translators: how long ago something happened, such as "3 hours ago".
    return _("%(duration)s ago") % {"duration": timesince(value, now, depth=1)}


def _iso(value: date) -> str:
    value = _local(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value.isoformat()


@register.filter
def when(value, mode: str = ""):
    if value in (None, ""):
        return ""
    if not isinstance(value, date):
        return value
    if mode == "iso":
        return _iso(value)
    if mode == "text":
        return moment_text(value)
    if mode in ("date", "day"):
        return format_html('<time datetime="{}">{}</time>', _iso(value), moment_text(value, mode))
    if mode == "relative" and isinstance(value, datetime):
        distance = relative_text(value)
        if distance is not None:
            return format_html('<time datetime="{}">{}</time>', _iso(value), distance)
    return format_html('<time datetime="{}">{}</time>', _iso(value), moment_text(value))
