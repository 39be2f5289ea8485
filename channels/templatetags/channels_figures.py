"""The dashboards' "tickets by channel" figure, shown by the reports' pages."""

from django import template
from django.conf import settings
from django.utils.translation import gettext as _

from agencies.models import Agency
from channels.figures import tickets_by_channel

register = template.Library()


def _figure(rows) -> dict:
    return {
        "table": {
            "slug": "channels",
            "caption": _("Tickets reported by channel"),
            "headings": [_("Channel"), _("Reported"), _("Share (%)")],
            "rows": [list(row) for row in rows],
        },
        "has_data": any(count for _label, count, _share in rows),
    }


@register.inclusion_tag("channels/figure_by_channel.html")
def agency_tickets_by_channel(agency, period):
    """One query: the agency's tickets of the period, counted by channel."""
    return _figure(
        tickets_by_channel(
            start=period.start, end=period.end, time_zone=agency.time_zone, agencies=agency
        )
    )


@register.inclusion_tag("channels/figure_by_channel.html")
def council_tickets_by_channel(period, kind=""):
    """One query: the government's tickets of the period (the kind of agency chosen, if
    any), counted by channel."""
    agencies = Agency.objects.filter(is_active=True, **({"kind": kind} if kind else {}))
    return _figure(
        tickets_by_channel(
            start=period.start, end=period.end, time_zone=settings.TIME_ZONE, agencies=agencies
        )
    )
