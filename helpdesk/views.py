from django.conf import settings
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_POST

from accounts.services import user_update_profile
from core.http import safe_next_url


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
