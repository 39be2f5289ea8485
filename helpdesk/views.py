from django.conf import settings
from django.contrib import messages
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.middleware import language_cookie_set
from accounts.services import user_choose_language
from core.http import safe_next_url
from tickets.models import Ticket
from tickets.selectors import tickets_followed_by

HOME_TICKETS = 10


def favicon(request):
    """Browsers ask for /favicon.ico before reading the page's <link rel="icon">."""
    return HttpResponseRedirect(static("favicon.svg"))


def home(request):
    """The home page; signed in, the person's tickets not yet closed, newest activity first,
    and (`?q=`) those of them whose reference or subject holds the words searched for."""
    if not request.user.is_authenticated:
        return render(request, "home.html")
    query = request.GET.get("q", "").strip()[:200]
    tickets = tickets_followed_by(request.user).order_by("-updated_at", "-pk")
    if query:
        tickets = tickets.filter(Q(reference__iexact=query) | Q(subject__icontains=query))
    else:
        tickets = tickets.exclude(status=Ticket.Status.CLOSED)
    return render(
        request,
        "home.html",
        {"tickets": list(tickets[: HOME_TICKETS + 1]), "shown": HOME_TICKETS, "query": query},
    )


@require_POST
def language_switch(request):
    """Sets the language for this browser, and on the profile of whoever is signed in."""
    language = request.POST.get("language", "")
    response = HttpResponseRedirect(safe_next_url(request, default="home"))
    if language not in dict(settings.LANGUAGES):
        messages.error(
            request,
            _("GovDesk is not offered in that language. Choose one of: %(languages)s.")
            % {"languages": ", ".join(str(name) for _code, name in settings.LANGUAGES)},
        )
        return response
    if request.user.is_authenticated:
        user_choose_language(user=request.user, language=language)
    language_cookie_set(response, language)
    return response
