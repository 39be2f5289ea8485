"""`{% incident_on_ticket ticket %}`: on the ticket page, the incident a ticket belongs to, or
for a major incident its owner agency's panel. No query for an ordinary ticket."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import template
from django.conf import settings

from tickets.models import Ticket
from tickets.templatetags.sla_display import duration_words

register = template.Library()


@register.inclusion_tag("incidents/_on_ticket.html", takes_context=True)
def incident_on_ticket(context, ticket):
    from incidents import selectors
    from incidents.forms import AttachForm, ResolveForm

    shown = {"ticket": ticket, "request": context.get("request")}
    if ticket.is_major_incident:
        if context.get("works_ticket"):
            shown["panel"] = selectors.incident_panel(ticket)
            shown["attach_form"] = AttachForm(auto_id="id_attach_%s")
            shown["resolve_form"] = ResolveForm(auto_id="id_resolve_%s")
        shown["is_incident"] = True
        return shown
    shown["part_of"] = selectors.incident_for_child(ticket)
    return shown


@register.inclusion_tag("incidents/_report_joins.html")
def incident_for_new_report(ticket):
    """`{% incident_for_new_report ticket %}` on the confirmation of a report: the open major
    incident the report joins, found by the rule the worker attaches it by, so the page says
    so before (or after) the worker has done it. One query for a reported problem, none for
    anything else."""
    from incidents.selectors import incidents_matching

    if ticket.kind != Ticket.Kind.INCIDENT:
        return {}
    if ticket.parent_id is not None:
        # Attached already (by the worker, or by hand): that incident, whatever the rule says.
        joined = Ticket.objects.filter(pk=ticket.parent_id)
    else:
        joined = incidents_matching(ticket)
    return {"incident": joined.select_related("agency").first()}


@register.inclusion_tag("incidents/_known_issues.html", takes_context=True)
def known_issues(context):
    """`{% known_issues %}` on "Report a problem": the open major incidents of the services the
    person may report on, each with "I am affected too". One query."""
    from incidents.selectors import open_incidents_for_reporter

    request = context["request"]
    membership = getattr(request, "membership", None)
    agency_id = membership.agency_id if membership is not None else None
    return {
        "known_incidents": open_incidents_for_reporter(request.user, agency_id),
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("incidents/_outages.html", takes_context=True)
def current_outages(context):
    """`{% current_outages %}` on the home page: the open major incidents of the services the
    person may report on, and the listed government services not working as they should.
    Two queries."""
    from incidents.models import GovService
    from incidents.selectors import open_incidents_for_reporter

    request = context["request"]
    membership = getattr(request, "membership", None)
    agency_id = membership.agency_id if membership is not None else None
    return {
        "incidents": list(open_incidents_for_reporter(request.user, agency_id)),
        "services": list(
            GovService.objects.filter(is_listed=True).exclude(state=GovService.State.OPERATIONAL)
        ),
    }


@register.filter
def duration(length: timedelta) -> str:
    """A length of time in words: "2 hours 10 minutes"."""
    return duration_words(length)


@register.inclusion_tag("incidents/council_incidents.html")
def council_incidents_section(since):
    """`{% council_incidents_section data.period.start %}` on the Council dashboard: open major
    incidents and those opened since the period's first day. One query, three with any."""
    from incidents.selectors import incidents_for_council

    if not isinstance(since, datetime):
        since = datetime.combine(since, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))
    return {"council_incidents": incidents_for_council(since=since)}
