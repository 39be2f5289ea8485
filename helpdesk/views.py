from django.conf import settings
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.services import user_update_profile


def safe_next_url(request, *, default: str) -> str:
    """The `next` the form posted, if it stays on this site; else the default URL name."""
    from django.urls import reverse

    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return reverse(default)


def home(request):
    return render(request, "home.html")


@require_POST
def language_switch(request):
    """Sets the language for this browser, and on the profile of whoever is signed in."""
    language = request.POST.get("language", "")
    response = HttpResponseRedirect(safe_next_url(request, default="home"))
    if language not in dict(settings.LANGUAGES):
        return response
    if request.user.is_authenticated:
        user_update_profile(
            user=request.user, full_name=request.user.full_name, preferred_language=language
        )
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 60 * 60,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response
