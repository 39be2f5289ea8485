from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.selectors import membership_current_for, user_requires_mfa

CURRENT_MEMBERSHIP_SESSION_KEY = "current_membership_id"
MFA_SATISFIED_SESSION_KEY = "mfa_enrolment_seen"
# Pages a person who must set up MFA can still reach: the set-up itself, signing out,
# switching language, and what machines poll.
MFA_SETUP_URL_NAMES = {
    "mfa_index",
    "mfa_activate_totp",
    "mfa_generate_recovery_codes",
    "mfa_view_recovery_codes",
    "mfa_download_recovery_codes",
    "account_logout",
    "account_reauthenticate",
    "account_login",
    "language_switch",
    "health",
}


def language_cookie_set(response, language: str) -> None:
    """Remembers a choice on this browser, so that signing in or out keeps the page's language;
    an empty language forgets it, and the browser's own language applies again."""
    if not language:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME, samesite="Lax")
        return
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 60 * 60,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


class UserLanguageMiddleware:
    """Speaks to a signed-in person in the language they chose; LocaleMiddleware has already
    chosen the browser's (its cookie, else Accept-Language) for everyone who has not."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and user.preferred_language:
            translation.activate(user.preferred_language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


class CurrentMembershipMiddleware:
    """Sets request.membership: the agency and role the person is acting as right now."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership, request.memberships = None, []
        if request.user.is_authenticated:
            chosen_id = request.session.get(CURRENT_MEMBERSHIP_SESSION_KEY)
            request.membership, request.memberships = membership_current_for(
                request.user, chosen_id
            )
        return self.get_response(request)


class RequireMFAMiddleware:
    """Sends agents and administrators to set up MFA before anything else, when required.

    allauth offers MFA but leaves enforcement to the site.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._must_enrol(request):
            messages.warning(
                request,
                _("Your role needs two-factor authentication. Set it up to continue."),
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    def _must_enrol(self, request) -> bool:
        user = request.user
        if not settings.GOVDESK_REQUIRE_MFA_FOR_STAFF or not user.is_authenticated:
            return False
        if request.session.get(MFA_SATISFIED_SESSION_KEY) == user.pk:
            return False
        if request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return False
        try:
            url_name = resolve(request.path_info).url_name
        except Resolver404:
            return False
        if url_name in MFA_SETUP_URL_NAMES:
            return False
        needs_mfa = user_requires_mfa(user)
        if needs_mfa and not is_mfa_enabled(user):
            return True
        if needs_mfa:
            # Authenticators are only ever added after this; remember so later requests
            # skip both queries. Removing the last one signs the session out of this cache
            # through allauth's reauthentication, and the check runs again next session.
            request.session[MFA_SATISFIED_SESSION_KEY] = user.pk
        return False
