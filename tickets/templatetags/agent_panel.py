"""The agent's pieces of the ticket page, each with its own few reads.

- `{% agent_panel ticket watch_form=... %}`: the properties panel and its less frequent
  actions.
- `{% ticket_presence ticket %}`: which colleagues have the ticket open (from the cache; no
  query), refreshed in place by the page's script.
"""

from django import template

from tickets import presence

register = template.Library()


@register.inclusion_tag("tickets/_agent_panel.html", takes_context=True)
def agent_panel(context, ticket, watch_form=None):
    # Imported here: views import forms and services, which the template library need not
    # load until a page actually shows the panel.
    from tickets.views.agent import agent_panel_context

    return {**agent_panel_context(context["request"], ticket), "watch_form": watch_form}


@register.inclusion_tag("tickets/_presence.html", takes_context=True)
def ticket_presence(context, ticket):
    request = context["request"]
    return {
        "ticket": ticket,
        "others": presence.presence_of_others(ticket=ticket, user=request.user),
    }
