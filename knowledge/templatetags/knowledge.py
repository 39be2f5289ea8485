"""Pieces of the knowledge base shown on other apps' pages.

- `{% ticket_articles ticket %}`, on the ticket page for its agents: articles most like the
  ticket, each with its link to put in a reply, and "make a draft article from this ticket";
- `{% intake_help %}`, on "Report a problem": the place where articles appear as the subject
  is typed, and the "check help first" button that works without JavaScript;
- `{% help_search %}`, on the home page: the help search box.
"""

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.translation import get_language

register = template.Library()


@register.inclusion_tag("knowledge/_ticket_articles_panel.html", takes_context=True)
def ticket_articles(context, ticket):
    from knowledge.selectors import ticket_similar_articles
    from tickets.selectors import user_works_ticket

    request = context["request"]
    membership = getattr(request, "membership", None)
    if not user_works_ticket(membership, ticket):
        return {"shown": False}
    found = ticket_similar_articles(request.user, membership, ticket, language=get_language())
    return {
        "shown": True,
        "ticket": ticket,
        "found": [
            (item, settings.GOVDESK_SITE_URL + reverse("knowledge:article", args=[item.slug]))
            for item in found
        ],
        "may_draft": ticket.status in ticket.CLOSED_STATUSES,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("knowledge/_intake_help.html", takes_context=True)
def intake_help(context, form=None):
    subject = ""
    if form is not None and "subject" in form.fields:
        subject = form["subject"].value() or ""
    return {"subject": subject, "request": context.get("request")}


@register.inclusion_tag("knowledge/_help_search.html")
def help_search(query=""):
    return {"query": query}
