"""`{% agent_panel ticket %}`: the agent panel on the ticket page, with its own few queries."""

from django import template

register = template.Library()


@register.inclusion_tag("tickets/_agent_panel.html", takes_context=True)
def agent_panel(context, ticket):
    # Imported here: views import forms and services, which the template library need not
    # load until a page actually shows the panel.
    from tickets.views.agent import agent_panel_context

    return agent_panel_context(context["request"], ticket)
