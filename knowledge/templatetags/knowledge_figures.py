"""The dashboards' deflection figure, shown by the reports' pages."""

from django import template

register = template.Library()


@register.inclusion_tag("knowledge/figure_deflections.html")
def agency_deflections(agency, period):
    """One query: the problems the agency's people solved with an article in the period."""
    from knowledge.selectors import deflections_of_agency

    rows = deflections_of_agency(agency=agency, start=period.start, end=period.end)
    return {"rows": rows, "total": sum(row["count"] for row in rows)}
