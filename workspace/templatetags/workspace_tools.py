"""The workspace's pieces on tickets' pages: saved views beside the queue's built-in views,
canned responses and macros above the reply box, and the time spent on a ticket."""

from django import template
from django.conf import settings
from django.utils.translation import gettext as _

from accounts.permissions import Right, membership_has_right
from tickets import filters, time_spent
from tickets import selectors as ticket_selectors
from tickets.queue_counts import counts_kept
from tickets.time_spent import ticket_time_totals
from workspace import selectors
from workspace.forms import SavedViewForm
from workspace.services import saved_view_criteria, view_query_normalise

register = template.Library()


def _membership(context):
    request = context.get("request")
    return request, getattr(request, "membership", None)


@register.inclusion_tag("workspace/saved_views_list.html", takes_context=True)
def saved_views(context):
    """The person's saved views with their counts, and a form to save the current filters.

    Three queries: the views, their counts together, the teams they may share with.
    """
    request, membership = _membership(context)
    if request is None or not selectors.works_queue(membership):
        return {"shown": False}
    views = list(selectors.saved_views_for(request.user, membership))
    agency = context.get("agency")
    current = view_query_normalise(request.GET)
    if views:

        def count():
            base = ticket_selectors.tickets_visible_to(request.user, membership)
            return filters.counts_capped(
                {
                    view.pk: filters.tickets_filtered(
                        base.select_related(None),
                        user=request.user,
                        membership=membership,
                        filters=saved_view_criteria(view.query, agency=agency),
                        now=context.get("sla_now"),
                    )
                    for view in views
                }
            )

        # Kept until the agency's tickets change, as the built-in views' counts are; a view
        # edited since is another key (its query is part of it).
        counts = counts_kept(
            "saved views",
            agency_id=agency.pk if agency else None,
            owner=(
                request.user.pk,
                membership.pk,
                membership.role,
                *((view.pk, view.query) for view in views),
            ),
            count=count,
        )
        for view in views:
            view.count, view.capped = counts[view.pk]
            view.current = view.query == current
    form = SavedViewForm(
        teams=selectors.teams_to_share_with(membership),
        may_share_agency=membership.agency_id is not None
        and membership_has_right(membership, Right.SHARE_VIEWS, membership.agency_id),
        initial={"query": current},
    )
    return {
        "shown": True,
        "views": views,
        "form": form,
        "current_query": current,
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("workspace/ticket_tools.html", takes_context=True)
def ticket_tools(context):
    """Canned responses and macros for the ticket: two queries, for those who work it."""
    request, membership = _membership(context)
    ticket = context.get("ticket")
    if (
        request is None
        or ticket is None
        or not ticket_selectors.user_works_ticket(membership, ticket)
    ):
        return {"shown": False}
    responses = list(selectors.responses_for(request.user, membership, ticket=ticket)[:200])
    macros = list(selectors.macros_for(request.user, membership, ticket=ticket)[:200])
    return {
        "shown": True,
        "ticket": ticket,
        "responses": responses,
        "macros": macros,
        "requester_language": ticket.requester.language,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("workspace/time_total.html", takes_context=True)
def time_total(context):
    """Minutes spent per agency, for the staff who read the ticket's internal side: one query."""
    request, membership = _membership(context)
    ticket = context.get("ticket")
    if request is None or ticket is None:
        return {"shown": False}
    if not (context.get("sees_internal") or ticket_selectors.user_works_ticket(membership, ticket)):
        return {"shown": False}
    totals = ticket_time_totals(ticket)
    return {"shown": True, "totals": totals, "total": sum(t["minutes"] for t in totals)}


@register.filter
def duration(minutes) -> str:
    """Minutes as hours and minutes: 95 -> 1 h 35 min."""
    minutes = int(minutes or 0)
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    if hours:
        return f"{hours} h"
    return f"{rest} min"


def _table(slug: str, caption: str, headings: list, rows: list) -> dict:
    return {"slug": slug, "caption": caption, "headings": headings, "rows": rows}


@register.inclusion_tag("workspace/dashboard_time.html")
def agency_time_spent(agency, period):
    """The agency dashboard's time spent, by category and by agent: one query."""
    rows = time_spent.agency_time_spent(
        agency_id=agency.pk, start=period.start, end=period.end, time_zone=agency.time_zone
    )
    by_category: dict[str, int] = {}
    by_agent: dict[str, int] = {}
    for row in rows:
        category = row["category__name"]
        agent = row["agent__full_name"] or row["agent__email"]
        by_category[category] = by_category.get(category, 0) + row["minutes"]
        by_agent[agent] = by_agent.get(agent, 0) + row["minutes"]
    heading = _("Time spent")
    return {
        "tables": [
            _table(
                "time-categories",
                _("Time spent by category"),
                [_("Category"), heading],
                [[name, duration(m)] for name, m in _most_first(by_category)],
            ),
            _table(
                "time-agents",
                _("Time spent by agent"),
                [_("Agent"), heading],
                [[name, duration(m)] for name, m in _most_first(by_agent)],
            ),
        ],
        "has_data": bool(rows),
    }


def _most_first(totals: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(totals.items(), key=lambda item: (-item[1], item[0]))


@register.inclusion_tag("workspace/council_effort.html")
def council_effort(period):
    """The Council's view of the effort each shared-service agency spent for the others."""
    rows = time_spent.shared_service_effort(
        start=period.start, end=period.end, time_zone=settings.TIME_ZONE
    )
    table = _table(
        "shared-service-effort",
        _("Effort of shared-service agencies for other agencies"),
        [_("Shared-service agency"), _("For agency"), _("Tickets"), _("Time spent")],
        [
            [
                f"{row['agency__name']} ({row['agency__code']})",
                f"{row['requester_agency__name']} ({row['requester_agency__code']})",
                row["tickets"],
                duration(row["minutes"]),
            ]
            for row in rows
        ],
    )
    return {"table": table, "has_data": bool(rows)}
