"""The dashboards' satisfaction figure, shown by the reports' pages."""

from django import template

register = template.Library()


@register.inclusion_tag("satisfaction/figure_satisfaction.html")
def agency_satisfaction(agency, period):
    """One query: the agency's answers of the period, week by week."""
    from satisfaction.selectors import satisfaction_of_agency

    return {"figures": satisfaction_of_agency(agency=agency, start=period.start, end=period.end)}
